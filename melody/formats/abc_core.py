"""The rules that give ABC its meaning, written once: keys with modes and explicit accidentals,
meters, unit lengths and note lengths, integer ticks, tuplets, broken rhythm, decorations, bar
lines and the pitch of a note. The lexer, the player, the bar checker (abc_state.py) and the
sampler's mask (constraints.py) all read these tables; none keeps a copy.

Where the ABC 2.1 standard leaves room, abc2midi's reading wins: it is the referee for what a tune
means (``K:HP`` sounds as D major, ``K:Dmix ^g`` adds G sharp to D mixolydian, tuplets of 5, 7
and 9 notes depend on whether the meter is compound).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction


class LexError(ValueError):
    """The tune holds something the abc tokens cannot spell."""


# ---- pitch ---------------------------------------------------------------------------------------
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
_NOTE_TOKEN_RE = re.compile(r"^(\^\^|__|\^|_|=)?([A-Ga-g])([,']*)")  # a length glued on is ignored


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


def note_parts(token: str) -> tuple[str, str, int]:
    """(accidental, letter, octave) of a note token; ``C`` is octave 4 (MIDI 60), ``c`` 5."""
    match = _NOTE_TOKEN_RE.match(token)
    if not match:
        raise ValueError(f"not a note: {token!r}")
    accidental, letter, marks = match.groups()  # more accidentals than two count as the first two
    octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
    return accidental or "", letter.upper(), octave


def note_pitch(token: str, signature: dict[str, int], bar_accidentals: dict[str, int]) -> int:
    """MIDI pitch of a note token. An accidental holds to the bar's end for that letter in every
    octave: abc2midi reads it so (``=C4 c2`` is two naturals), where ABC 2.1 says the same octave."""
    accidental, letter, octave = note_parts(token)
    if accidental:
        bar_accidentals[letter] = ACCIDENTAL_SHIFT[accidental]
    shift = bar_accidentals.get(letter, signature.get(letter, 0))
    return 12 * (octave + 1) + LETTER_SEMITONES[letter] + shift


# ---- meter and unit length -----------------------------------------------------------------------
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


def default_unit_length(meter: str) -> str:
    """ABC's rule when ``L:`` is missing: 1/16 for meters below 3/4, else 1/8."""
    value = meter_fraction(meter)
    return "1/16" if value is not None and value < Fraction(3, 4) else "1/8"


def normalize_unit(value: str) -> str | None:
    """A ``L:`` value as ``1/n`` (n a power of two up to 64), or None."""
    value = value.split("%", 1)[0].replace(" ", "")
    match = re.fullmatch(r"1/([0-9]+)", value)
    if value == "1":
        return "1/1"
    if not match or int(match.group(1)) not in (1, 2, 4, 8, 16, 32, 64):
        return None
    return value


# ---- tune types ----------------------------------------------------------------------------------
# ``R:`` spellings in the wild -> one type; "dance" and "song" stand for a tune whose collection is
# known but whose type is not. A type's style says which of the two musics it belongs to.
TUNE_TYPES = {
    "reel": "reel", "jig": "jig", "double jig": "jig", "single jig": "jig", "slip jig": "slip jig",
    "slipjig": "slip jig", "hop jig": "slip jig", "hornpipe": "hornpipe", "clog": "hornpipe",
    "polka": "polka", "slide": "slide", "waltz": "waltz", "march": "march", "strathspey": "strathspey",
    "fling": "fling", "highland fling": "fling", "barndance": "barndance", "barn dance": "barndance",
    "schottische": "barndance", "mazurka": "mazurka", "set dance": "set dance", "air": "air",
    "slow air": "air", "planxty": "air", "song": "song", "dance": "dance",
}  # fmt: skip
SONG_TYPES = frozenset({"air", "song"})
# the meters a type is written in, its usual one first (a hornpipe only in those abc2midi plays it in)
TYPE_METERS = {"reel": ("4/4", "C|", "C", "2/2"), "jig": ("6/8",), "slip jig": ("9/8",), "slide": ("12/8",)}
TYPE_METERS |= {"hornpipe": ("4/4", "C", "2/4"), "polka": ("2/4",), "waltz": ("3/4",), "mazurka": ("3/4",)}
TYPE_METERS |= {"march": ("2/4", "6/8", "4/4", "C"), "strathspey": ("4/4", "C"), "fling": ("4/4", "C")}
TYPE_METERS |= {"barndance": ("4/4", "C"), "set dance": ("6/8", "2/4", "4/4")}
SWUNG_TYPES = frozenset({"hornpipe"})  # abc2midi plays their pairs of eighths dotted, itself


def normalize_type(value: str) -> str | None:
    """An ``R:`` value as one of the TUNE_TYPES (``Slip-Jig`` -> ``slip jig``), or None."""
    words = re.sub(r"[^a-z]+", " ", value.split("%", 1)[0].lower()).strip()
    words = re.sub(r"s$", "", words) if words not in TUNE_TYPES else words  # "reels", "jigs"
    return TUNE_TYPES.get(words) or TUNE_TYPES.get(words.replace(" ", ""))


def tune_style(tune_type: str | None) -> str | None:
    """ "song" or "dance" for a known type, None for none."""
    if tune_type is None:
        return None
    return "song" if tune_type in SONG_TYPES else "dance"


# ---- lengths and time ----------------------------------------------------------------------------
# Durations are integer ticks of a whole note: every unit length to 1/64, length to /16, broken
# rhythm and tuplet of 2 to 9 notes divides it, so bar timing is int arithmetic (fast to add,
# compare and hash). An odd duration that does not divide stays an exact Fraction of ticks.
TICKS = 2**12 * 3**2 * 5 * 7


@functools.lru_cache(maxsize=4096)
def parse_length(text: str) -> Fraction:
    """ABC length suffix as a multiple of the unit: ``2``, ``/`` = 1/2, ``//`` = 1/4, ``3/2``."""
    match = re.fullmatch(r"([0-9]*)(/*)([0-9]*)", text)
    if not match:
        raise LexError(f"bad note length {text!r}")
    numerator, slashes, denominator = match.groups()
    top = int(numerator) if numerator else 1
    if denominator:
        if not slashes:
            raise LexError(f"bad note length {text!r}")
        bottom = int(denominator) * (2 ** (len(slashes) - 1))
    else:
        bottom = 2 ** len(slashes)
    if top == 0 or bottom == 0:
        raise LexError(f"zero note length {text!r}")
    return Fraction(top, bottom)


def length_token(value: Fraction) -> str:
    """The one spelling of a length in units: ``2``, ``/2``, ``3/2``; one unit is ``1``."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"/{value.denominator}" if value.numerator == 1 else f"{value.numerator}/{value.denominator}"


def length_suffix(value: Fraction) -> str:
    """A length as written after a note: nothing for one unit, else its token."""
    return "" if value == 1 else length_token(value)


def ticks(value: Fraction) -> int | Fraction:
    """Whole notes as ticks."""
    return times(TICKS, value)


def times(amount: int | Fraction, factor: Fraction) -> int | Fraction:
    """amount * factor, an int whenever it divides (it almost always does)."""
    if type(amount) is int:
        whole, rest = divmod(amount * factor.numerator, factor.denominator)
        if not rest:
            return whole
    product = amount * factor
    return product.numerator if product.denominator == 1 else product


# ---- tuplets, broken rhythm, decorations, bars ---------------------------------------------------
TUPLET_TIME = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}  # p notes in the time of q; 5, 7, 9 read the meter
BROKEN_SHIFT = {">": Fraction(1, 2), ">>": Fraction(3, 4), "<": Fraction(-1, 2), "<<": Fraction(-3, 4)}
BROKEN_NEXT = {token: 1 - shift for token, shift in BROKEN_SHIFT.items()}
DECORATION_LETTERS = frozenset(".~HLMOPRSTsuv")
# the letters' names in ABC 2.1 (4.14): for readers that know the names better than the letters
DECORATION_NAMES = {"~": "!roll!", "R": "!roll!", "H": "!fermata!", "L": "!accent!", "M": "!lowermordent!"}
DECORATION_NAMES |= {"O": "!coda!", "P": "!uppermordent!", "S": "!segno!", "T": "!trill!", "u": "!upbow!"}
DECORATION_NAMES |= {"v": "!downbow!", "s": "!slide!"}
# the other letters ABC 2.1 keeps for user-defined symbols (U:): abc2midi ignores them, with a warning
RESERVED_LETTERS = frozenset("IJKNQUVWhijklmnopqrtw")
LENGTHENING_DECORATIONS = frozenset({"H", "!fermata!", "!invertedfermata!"})  # abc2midi holds these longer
ROLLS = frozenset({"~", "R"})  # abc2midi plays a roll as grace notes, which need room
SHORTEST_ROLLED = Fraction(3, 8)  # ... a written length of 1/4 unit or less is too short for them
BARS = frozenset({"|", "||", "|]", "[|", "|:", ":|", "::"})
SECTION_ENDS = frozenset({":|", "||", "|]", "::"})


def tuplet_ratio(token: str, compound: bool) -> tuple[int, Fraction] | None:
    """(notes, time factor) of a tuplet token ``(p:q:r``; q defaults by the ABC standard, which
    for 5, 7 and 9 notes depends on whether the meter is compound (as abc2midi reads it)."""
    parts = token[1:].split(":")
    if not all(part.isdigit() or part == "" for part in parts) or not parts[0]:
        return None
    p = int(parts[0])
    default_q = TUPLET_TIME.get(p, 3 if compound else 2)
    q = int(parts[1]) if len(parts) > 1 and parts[1] else default_q
    r = int(parts[2]) if len(parts) > 2 and parts[2] else p
    if p < 2 or q < 1 or r < 1:
        return None
    return r, Fraction(q, p)


@functools.lru_cache(maxsize=256)
def ending_passes(label: str) -> frozenset[int]:
    """The passes an ending is played on, from its label: ``1``, ``2``; ``1,3`` and ``1-3`` name
    several (abc2midi plays a repeat as many times as its endings ask, four at most)."""
    passes: set[int] = set()
    for part in label.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first.isdigit():
            passes.update(range(int(first), int(last) + 1) if last.isdigit() else [int(first)])
    return frozenset(passes) or frozenset({1})


class ImpliedRepeats:
    """Where abc2midi's reader puts the |: that a :| (or ::) with none before it implies, bar line by
    bar line: at the start of the section, which opens the tune, follows a :| or ::, or follows a
    double bar once a repeat has closed. A :| is expected (nothing implied) after a |: or ::, and
    after a second ending up to the next :| with no second ending before it. The player and the
    writer of explicit repeat signs both follow this."""

    def __init__(self) -> None:
        self.expect = self.second_seen = self.repeat_closed = False

    def ending(self, label: str) -> None:
        """An ending starts (its label: "1", "2", "1,3")."""
        if min(ending_passes(label)) > 1:  # a second ending belongs to the repeat before it
            self.expect = self.second_seen = True

    def bar(self, close: str) -> tuple[bool, bool]:
        """(a |: is implied at the section's start, a new section starts after this bar line)."""
        close = "||" if close == "|]" else close
        implied = close in (":|", "::") and not self.expect
        self.repeat_closed = self.repeat_closed or close in (":|", "::")
        if close in ("|:", "::"):
            self.expect, self.second_seen = True, False
        elif close == ":|" and not self.second_seen:
            self.expect = False
        return implied, close in (":|", "::") or (close == "||" and self.repeat_closed)


def repeats_in_parts(tokens: list[str], part_starts: list[int]) -> list[str]:
    """The repeat signs of a tune in parts (a header P:) or in several voices, spelled out so that
    the section rule of ImpliedRepeats plays them as abc2midi does. For such a tune its reader
    implies no |: per section but scans each voice of each part for a missing one (store.c): the
    first :| or :: with no |: before it in the part implies one at the part's start, and no other
    is implied. A later :| that would need one then repeats nothing (written ||), and a later such
    :: only opens a repeat (written |:). `part_starts`: token indices where parts begin."""
    out: list[str] = []
    starts = set(part_starts) | {0}
    repeats, part_start, opened = ImpliedRepeats(), 0, False
    for index, token in enumerate(tokens):
        if index in starts:
            part_start, opened = len(out), False
        if token[:1] == "[" and token[1:2].isdigit():
            repeats.ending(token[1:])
        elif token in BARS:
            if token in (":|", "::") and not opened:
                out.insert(part_start, "|:")
                repeats.bar("|:")
            elif token in (":|", "::") and not repeats.expect:
                token = "||" if token == ":|" else "|:"
            opened = opened or token in ("|:", ":|", "::")
            repeats.bar(token)
        out.append(token)
    return out


def bar_token(text: str) -> str:
    """One spelling per kind of bar line: ``:|]`` is ``:|``, ``:|:`` and ``::`` are ``::``; ``||:``
    is ``||``, as abc2midi plays it (no repeat starts there)."""
    left, right = text.startswith(":"), text.endswith(":")
    if left and right:
        return "::"
    if text.startswith("||"):
        return "||"
    if left:
        return ":|"
    if right:
        return "|:"
    return text
