"""The rules that give ABC's notation its meaning, written once: unit lengths and note lengths,
integer ticks, tuplets, broken rhythm, decorations, bar lines and the parts of a note token. Keys,
modes and meters are music/theory.py's. The lexer, the reader (reader.py) and all it serves, and the
sampler's mask (sampling/abc_mask.py) all read these tables; none keeps a copy.

Where the ABC 2.1 standard leaves room, abc2midi's reading wins: it is the referee for what a tune
means (``K:HP`` sounds as D major, ``K:Dmix ^g`` adds G sharp to D mixolydian, tuplets of 5, 7
and 9 notes depend on whether the meter is compound).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

from melody.music.theory import meter_fraction


class LexError(ValueError):
    """The tune holds something the abc tokens cannot spell."""


# ---- pitch ---------------------------------------------------------------------------------------

_NOTE_TOKEN_RE = re.compile(r"^(\^\^|__|\^|_|=)?([A-Ga-g])([,']*)")  # a length glued on is ignored


@functools.lru_cache(maxsize=1 << 12)
def note_parts(token: str) -> tuple[str, str, int]:
    """(accidental, letter, octave) of a note token; ``C`` is octave 4 (MIDI 60), ``c`` 5."""
    match = _NOTE_TOKEN_RE.match(token)
    if not match:
        raise ValueError(f"not a note: {token!r}")
    accidental, letter, marks = match.groups()  # more accidentals than two count as the first two
    octave = (5 if letter.islower() else 4) + marks.count("'") - marks.count(",")
    return accidental or "", letter.upper(), octave


@functools.lru_cache(maxsize=1 << 12)
def pitch_key(note: str) -> str:
    """Letter and octave of a note token."""
    return note.lstrip("_^=")


@functools.lru_cache(maxsize=1 << 12)
def accidental(note: str) -> str:
    return note[: len(note) - len(note.lstrip("_^="))]


@functools.lru_cache(maxsize=1 << 12)
def letter(note: str) -> str:
    """The note's letter, upper case: an accidental holds for that letter in every octave of the
    bar, as abc2midi reads it."""
    return note.lstrip("_^=")[0].upper()


# ---- unit length ---------------------------------------------------------------------------------


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
# Cues: tokens that are no ABC but tell a model where it stands in the tune's form, learned from
# the corpus's own parts (formats/abc/form.py) and forced by the sampler when a form is asked:
# ``P:A`` opens a part (a returning part gets its first letter again), ``P:|`` opens its last bar.
CUE_PREFIX = "P:"
LAST_BAR_CUE = "P:|"
PART_LETTERS = "ABCDEF"  # a tune's seventh different part is labelled F too
# Register cues, after the header: the tune's lowest and highest note as MIDI pitches (``%low:62
# %high:81``, formats/abc/register.py), so a model learns the compass a tune of its type keeps and
# the sampler holds the tune to the one the model drew.
LOW_CUE, HIGH_CUE = "%low:", "%high:"
CUE_KINDS = frozenset({"part", "register"})  # tokens that are no ABC: no time, no pitch


def cue_pitch(token: str) -> int:
    """The MIDI pitch a register cue names."""
    return int(token.split(":", 1)[1])


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
