"""Music theory in one place: pitch letters and accidentals, keys and modes (named as melody names
them everywhere: ``D``, ``Am``, ``Edor``, ``Dmix ^g``), key signatures and spelling, scales, key
estimation and meters. No file format is imported here: formats, tokenizers and statistics ask this."""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from melody.music.score import Score


LETTER_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


ACCIDENTAL_SHIFT = {"^^": 2, "^": 1, "=": 0, "_": -1, "__": -2}


SHARP_ORDER, FLAT_ORDER = "FCGDAEB", "BEADGCF"


MAJOR_FIFTHS = {"C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "F#": 6, "C#": 7, "F": -1, "Bb": -2, "Eb": -3}


MAJOR_FIFTHS |= {"Ab": -4, "Db": -5, "Gb": -6, "Cb": -7, "G#": 8, "D#": 9, "A#": 10, "E#": 11, "B#": 12, "Fb": -8}


# canonical mode -> fifths from the major key on the same tonic; "exp": only the accidentals given
MODE_FIFTHS = {"": 0, "m": -3, "dor": -2, "phr": -4, "lyd": 1, "mix": -1, "loc": -5, "exp": 0}


# a mode word counts by its first three letters, any case (ABC 2.1, 3.1.14)
MODE_WORDS = {"maj": "", "ion": "", "m": "m", "min": "m", "aeo": "m", "mix": "mix", "dor": "dor", "phr": "phr"}


MODE_WORDS |= {"lyd": "lyd", "loc": "loc", "exp": "exp"}


PIPE_KEYS = {"HP": "D", "Hp": "D"}  # Highland pipes: abc2midi sounds both as D major


CLEF_WORDS = frozenset({"treble", "bass", "alto", "tenor", "perc", "none"})


_TONIC_RE = re.compile(r"^\s*([A-G])([#b]?)")


_KEY_ACCIDENTAL_RE = re.compile(r"^(\^\^|__|\^|_|=)([A-Ga-g])$")


@functools.lru_cache(maxsize=4096)
def normalize_key(value: str) -> str | None:
    """A ``K:`` value in one spelling (``D``, ``Am``, ``Edor``, ``F#mix``, ``Dmix ^g``), or None when
    it names no key. Clefs and ``name=value`` settings are dropped; ``none`` is C with no signature."""
    text = value.split("%", 1)[0].strip()
    words = text.split()
    if not words or words[0].lower() == "none":
        return "C" if words else None
    if words[0] in PIPE_KEYS:
        return PIPE_KEYS[words[0]]
    match = _TONIC_RE.match(text)
    if not match:
        return None
    tonic = match.group(1) + match.group(2)
    rest = text[match.end() :].split()
    glued_natural = re.fullmatch(r"([A-Za-z]+)(=[A-Ga-g])", rest[0]) if rest else None
    if glued_natural and (glued_natural.group(1).lower() == "m" or glued_natural.group(1).lower()[:3] in MODE_WORDS):
        rest[:1] = list(glued_natural.groups())  # Dmix=c: a mode, then a natural (not a setting like middle=B)
    mode, extras = "", []
    if rest and rest[0][:1].isalpha() and "=" not in rest[0]:
        word = rest.pop(0)
        glued = re.match(r"^([A-Za-z]+)(.*)$", word)
        name, tail = glued.group(1), glued.group(2)
        if name.lower() in CLEF_WORDS:
            mode = ""
        else:
            mode = MODE_WORDS.get(name.lower() if len(name) == 1 else name.lower()[:3])
            if mode is None:
                return None
        if tail:
            rest.insert(0, tail)
    for word in rest:
        if "=" in word and not _KEY_ACCIDENTAL_RE.match(word):
            continue  # clef=, middle=, transpose=...: not the key
        if word.lower() in CLEF_WORDS:
            continue
        accidental = _KEY_ACCIDENTAL_RE.match(word)
        if not accidental:
            return None
        extras.append(accidental.group(1) + accidental.group(2).lower())
    return f"{tonic}{mode}" + "".join(f" {extra}" for extra in extras)


def key_parts(key: str) -> tuple[str, str, list[str]]:
    """(tonic, canonical mode, explicit accidentals) of a canonical key."""
    head, *extras = key.split()
    tonic = head[:2] if len(head) > 1 and head[1] in "#b" else head[:1]
    return tonic, head[len(tonic) :], extras


@functools.lru_cache(maxsize=1024)
def _signature(key: str) -> tuple[tuple[str, int], ...]:
    tonic, mode, extras = key_parts(normalize_key(key) or "C")
    signature: dict[str, int] = {}
    if mode != "exp":
        fifths = max(-7, min(7, MAJOR_FIFTHS.get(tonic, 0) + MODE_FIFTHS.get(mode, 0)))
        order = SHARP_ORDER if fifths >= 0 else FLAT_ORDER
        signature = {letter: 1 if fifths > 0 else -1 for letter in order[: abs(fifths)]}
    for extra in extras:
        shift = ACCIDENTAL_SHIFT[extra[:-1]]
        signature[extra[-1].upper()] = shift
    return tuple((letter, shift) for letter, shift in signature.items() if shift)


def key_signature(key: str) -> dict[str, int]:
    """Semitone shift of each letter in a key: ``D`` -> {F: +1, C: +1}; ``Dmix ^g`` adds G: +1."""
    return dict(_signature(key))


@functools.lru_cache(maxsize=256)
def key_tonic(key: str) -> tuple[str, int, int]:
    """(letter, semitone shift) of a key's tonic, the final of its mode, and the shift its
    signature gives that letter: ``F#m`` -> (F, 1, 1); ``Dmix`` -> (D, 0, 0)."""
    tonic, _mode, _extras = key_parts(key)
    return tonic[0], {"#": 1, "b": -1}.get(tonic[1:], 0), key_signature(key).get(tonic[0], 0)


def key_fifths(key: str) -> int:
    """Sharps (positive) or flats (negative) of a key's signature, explicit accidentals aside."""
    tonic, mode, _ = key_parts(normalize_key(key) or "C")
    return max(-7, min(7, MAJOR_FIFTHS.get(tonic, 0) + MODE_FIFTHS.get(mode, 0)))


_SHARP_SPELLING = tuple(zip("CCDDEFFGGAAB", (0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0)))


_FLAT_SPELLING = tuple(zip("CDDEEFGGAABB", (0, -1, 0, -1, 0, 0, -1, 0, -1, 0, -1, 0)))


@functools.lru_cache(maxsize=256)
def key_spelling(key: str) -> tuple[tuple[str, int], ...]:
    """(letter, alteration) of each pitch class as a musician spells it in `key`: sharps in a sharp
    key, flats in a flat key, and the raised sixth and seventh of the key's minor as sharps or
    naturals (F# and E in G minor; in a major-like mode, of its relative minor: F# in Bb major)."""
    normal = normalize_key(key) or "C"
    tonic, mode, _extras = key_parts(normal)
    signature, fifths = key_signature(normal), key_fifths(normal)
    names = list(_FLAT_SPELLING if fifths < 0 else _SHARP_SPELLING)
    letters = "CDEFGAB"
    if MODE_FIFTHS.get(mode, 0) < -1:
        minor = letters.index(tonic[0])
    else:  # the relative minor: a sixth above the major tonic of the signature
        major = next(name for name, count in MAJOR_FIFTHS.items() if count == fifths)
        minor = letters.index(major[0]) + 5
    for step in (5, 6):
        letter = letters[(minor + step) % 7]
        alter = signature.get(letter, 0)
        if alter < 0 or (alter == 0 and letter not in "BE"):  # B# and E# left as C and F
            names[(LETTER_SEMITONES[letter] + alter + 1) % 12] = (letter, alter + 1)
    return tuple(names)


_METER_RE = re.compile(r"\(?([0-9]+(?:\+[0-9]+)*)\)?/([0-9]+)")


def normalize_meter(value: str) -> str | None:
    """A ``M:`` value in one spelling (``6/8``, ``2+3/8``, ``C``, ``C|``, ``none``), or None. A stray
    mark after it (``M:2/2]``) is passed over, as abc2midi does."""
    value = value.split("%", 1)[0].replace(" ", "")
    if value in ("C", "C|", "none"):
        return value
    match = _METER_RE.match(value)
    if not match or re.search(r"[0-9A-Za-z]", value[match.end() :]):
        return None
    if sum(int(p) for p in match.group(1).split("+")) == 0:
        return None
    denominator = int(match.group(2))
    if denominator == 0 or denominator > 64 or denominator & (denominator - 1):
        return None  # a beat value is a power of two (abc2midi and MIDI hold no other)
    return f"{match.group(1)}/{match.group(2)}"


def meter_pair(meter: str) -> tuple[int, int] | None:
    """(beats, beat value) of a meter: ``C`` is (4, 4), ``2+3/8`` is (5, 8); None for free meter."""
    meter = normalize_meter(meter) or "none"
    if meter == "C":
        return 4, 4
    if meter == "C|":
        return 2, 2
    match = _METER_RE.fullmatch(meter)
    if not match:
        return None
    return sum(int(part) for part in match.group(1).split("+")), int(match.group(2))


def meter_fraction(meter: str) -> Fraction | None:
    """Length of one bar in whole notes, or None for free meter (``none`` or unreadable)."""
    pair = meter_pair(meter)
    return None if pair is None else Fraction(*pair)


def compound_meter(meter: str) -> bool:
    """Whether tuplets of 5, 7 and 9 notes take the time of 3 (else of 2): abc2midi reads so every
    meter whose numerator divides by 3 (3/4 and 3/8 too, not only 6/8, 9/8, 12/8)."""
    pair = meter_pair(meter)
    return pair is not None and pair[0] % 3 == 0


# the modes a folk tune is named in, by the scale degree (semitones above the major tonic) it ends on
MODE_BY_FINAL = {0: "", 9: "m", 2: "dor", 7: "mix"}


def _major_name(fifths: int) -> str:
    return next(name for name, count in MAJOR_FIFTHS.items() if count == fifths)


MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)


def tonal_notes(score: Score) -> np.ndarray:
    """Which of `score.table`'s notes are pitched (a drum's pitch names a sound, not a note)."""
    drums = np.array(score.drums + (False,) * (score.voices + 1), dtype=bool)
    return ~drums[np.minimum(score.table.voice, drums.size - 1)]


def major_tonic(score: Score) -> int:
    """Pitch class of the tonic of the major scale that holds the most note time (C on a tie)."""
    table, tonal = score.table, tonal_notes(score)
    histogram = np.bincount(table.pitch[tonal] % 12, weights=(table.end - table.start)[tonal], minlength=12)
    histogram = histogram.tolist()
    return max(range(12), key=lambda tonic: (sum(histogram[(tonic + s) % 12] for s in MAJOR_SCALE), -tonic))


def estimate_key(score: Score) -> str:
    """The key signature whose scale holds the most notes, named in the mode of the final note when
    that is a folk mode (``G``, ``Em``, ``Ador``, ``Dmix``), else as the major key."""
    table, tonal = score.table, tonal_notes(score)
    ends, pitches = table.end[tonal], table.pitch[tonal]
    if not ends.size:
        return "C"
    best = major_tonic(score)
    fifths = best * 7 % 12
    fifths = fifths - 12 if fifths > 6 else fifths
    last = np.flatnonzero(ends == ends.max())  # the final note: the lowest of those that end last
    final = (int(pitches[last].min()) - best) % 12
    mode = MODE_BY_FINAL.get(final, "")
    if not mode:
        return _major_name(fifths)
    return _major_name(fifths - MODE_FIFTHS[mode]) + mode


# Aarden-Essen key profiles (weights of each scale degree in major and minor melodies): what
# Krumhansl-Schmuckler key finding correlates a piece's pitch classes with, as music21 does
MAJOR_PROFILE = (17.77, 0.15, 14.93, 0.16, 19.8, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95)
MINOR_PROFILE = (18.26, 0.74, 14.05, 16.86, 0.7, 14.44, 0.7, 18.62, 4.57, 1.93, 7.38, 1.76)
MAJOR_KEYS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")  # by tonic pitch class
MINOR_KEYS = ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm")
# a declared key is believed when its profile fits the notes within this much of the best key's
# correlation: on Bach's chorales 85% of the keys they declare, and 1% of C major placeholders
# written on chorales moved into other keys
KEY_AGREES = 0.1


def key_correlations(score: Score) -> np.ndarray:
    """(24,) how well each key fits the notes (pitch classes weighted by length): majors on C..B,
    then minors; all zero for a piece without pitched notes."""
    table, tonal = score.table, tonal_notes(score)
    histogram = np.bincount(table.pitch[tonal] % 12, weights=(table.end - table.start)[tonal], minlength=12)
    spread = histogram.std()
    if spread == 0:
        return np.zeros(24)
    return _key_profiles() @ ((histogram - histogram.mean()) / spread) / 12


@functools.cache
def _key_profiles() -> np.ndarray:
    """(24, 12) the key profiles on every tonic, each standardised: a dot product is a correlation."""
    profiles = np.array([np.roll(profile, tonic) for profile in (MAJOR_PROFILE, MINOR_PROFILE) for tonic in range(12)])
    return (profiles - profiles.mean(1, keepdims=True)) / profiles.std(1, keepdims=True)


def _key_index(key: str) -> int:
    """0-11: the major key on that tonic; 12-23: the minor (a mode whose third is minor counts as minor)."""
    _tonic, mode, _extras = key_parts(normalize_key(key) or "C")
    return tonic_pitch_class(key) + (12 if MODE_FIFTHS.get(mode, 0) < -1 else 0)


def checked_key(score: Score, declared: str | None) -> tuple[str | None, str]:
    """The key a piece is in, and why: the `declared` one when the notes agree with it (within
    KEY_AGREES of the best key's fit), else the best-fitting major or minor key. A file's key
    signature is a claim: exporters write C major where nobody chose a key."""
    fits = key_correlations(score)
    if not fits.any():
        return declared, "declared (no pitched notes to check it)" if declared else "none"
    best = int(np.argmax(fits))
    found = (MAJOR_KEYS + MINOR_KEYS)[best]
    if declared and normalize_key(declared):
        mine = fits[_key_index(declared)]
        if mine >= fits[best] - KEY_AGREES:
            return declared, f"declared; the notes agree (fit {mine:.2f}, best {fits[best]:.2f} for {found})"
        return found, f"found: the declared {declared} fits {mine:.2f}, {found} {fits[best]:.2f}"
    return found, f"found (fit {fits[best]:.2f}); none declared"


def tonic_pitch_class(key: str) -> int:
    """Pitch class of the key's tonic, the final of its mode (``Dmix``: D; ``F#m``: F#)."""
    letter, shift, _signature = key_tonic(normalize_key(key) or "C")
    return (LETTER_SEMITONES[letter] + shift) % 12
