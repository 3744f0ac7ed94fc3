"""Tune types (``R:`` reel, jig, song...), the meters each is written in and their usual forms, and
form plans (parts, bars per part, closing on the tonic) that the sampler follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from melody.errors import ConfigError

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


# the meters a type is written in, its usual one first
TYPE_METERS = {"reel": ("4/4", "C|", "C", "2/2"), "jig": ("6/8",), "slip jig": ("9/8",), "slide": ("12/8",)}


TYPE_METERS |= {"hornpipe": ("C|", "4/4", "C", "2/4"), "polka": ("2/4",), "waltz": ("3/4",), "mazurka": ("3/4",)}


TYPE_METERS |= {"march": ("2/4", "6/8", "4/4", "C"), "strathspey": ("4/4", "C"), "fling": ("4/4", "C")}


TYPE_METERS |= {"barndance": ("4/4", "C"), "set dance": ("6/8", "2/4", "4/4")}


def meter_fits_type(tune_type: str | None, meter: str | None) -> bool:
    """Whether a tune of `tune_type` may be written in `meter` (a spelled ``M:`` value): a type with
    meters of its own only in those; any other type, or none, in any."""
    return not tune_type or not meter or meter in TYPE_METERS.get(tune_type, (meter,))


def check_type_meter(tune_type: str | None, meter: str | None) -> None:
    """A one-line ConfigError when --type and --meter disagree (a hornpipe in 6/8, which abc2midi
    refuses to play), naming the types that meter does suit."""
    if meter_fits_type(tune_type, meter):
        return

    def listed(words) -> str:
        return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)

    suited = sorted(t for t, meters in TYPE_METERS.items() if meter in meters)
    hint = f"a tune in {meter} is a {listed(suited)}" if suited else f"no type melody knows is in {meter}"
    usual = listed(list(TYPE_METERS[tune_type]))
    raise ConfigError(f"a {tune_type} is written in {usual}, not {meter}: {hint} (change `tune_type` or `meter`)")


SWUNG_TYPES = frozenset({"hornpipe"})  # abc2midi plays their pairs of eighths dotted, itself


# abc2midi swings a hornpipe only in 2/4 or 4/4 and refuses one in C| ("Hornpipe must be in 2/4 or 4/4
# time"), where the books write 171 of their 180: the model writes it in C| as it learned, and it is
# printed in the same bar spelled as abc2midi plays it.
PRINTED_METERS = {"C|": "C"}
LEARNED_METERS = {printed: written for written, printed in PRINTED_METERS.items()}


# where abc2midi's swung pairs begin, by the meter printed (a whole note is 1): a pair of eighths on
# each beat of 4/4, a pair of sixteenths on each eighth of 2/4
SWING_PAIRS = {"4/4": Fraction(1, 4), "C": Fraction(1, 4), "2/4": Fraction(1, 8)}


def printed_meter(tune_type: str | None, meter: str | None) -> str | None:
    """The M: a tune of `tune_type` written in `meter` is printed in (see PRINTED_METERS)."""
    return PRINTED_METERS.get(meter, meter) if tune_type in SWUNG_TYPES else meter


def learned_meter(tune_type: str | None, meter: str | None) -> str | None:
    """The M: the model writes a tune of `tune_type` in that is printed in `meter` (C| for a hornpipe in C)."""
    return LEARNED_METERS.get(meter, meter) if tune_type in SWUNG_TYPES else meter


def swing_pair(tune_type: str | None, meter: str | None) -> Fraction | None:
    """How far apart abc2midi begins the pairs it swings in a tune of this type and meter, or None
    where it swings none."""
    return SWING_PAIRS.get(printed_meter(tune_type, meter)) if tune_type in SWUNG_TYPES else None


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


# a dance type's usual form: two parts of 8 bars, each played twice
DEFAULT_FORMS = {"reel": "AABB", "jig": "AABB", "hornpipe": "AABB", "polka": "AABB", "slide": "AABB"}


DEFAULT_FORMS |= {"slip jig": "AABB", "march": "AABB", "strathspey": "AABB", "barndance": "AABB"}


DEFAULT_FORMS |= {"fling": "AABB", "waltz": "AABB", "mazurka": "AABB"}


DEFAULT_PART_BARS = 8


_FORM_RE = re.compile(r"(?:[A-Z]'?)+")
_PART_RE = re.compile(r"[A-Z]'?")


@dataclass(frozen=True)
class FormPlan:
    """Parts in order, each (letter, repeated), how many bars each has, whether each part and the
    tune close on the tonic, and whether the tune gives its anacrusis back at the end. Frozen, so
    it can be part of the sampler's mask cache key."""

    sections: tuple[tuple[str, bool], ...]
    part_bars: int = DEFAULT_PART_BARS
    cadence: bool = True
    give_back: bool = False  # a tune that opens with an anacrusis ends its last bar short by it
    last_units: Fraction = Fraction(1)  # a part closing on the tonic holds it at least this many units

    @property
    def name(self) -> str:
        return "".join(letter * (2 if repeated else 1) for letter, repeated in self.sections)


def parse_form(text: str, part_bars: int = DEFAULT_PART_BARS, cadence: bool = True) -> FormPlan:
    """A FormPlan from a spelling like ``AABB`` (every part repeated) or ``ABAC`` (none repeated)."""
    spelled = text.strip().upper()
    form = _PART_RE.findall(spelled)  # letters, a primed one (A') a variation of an earlier part
    paired = len(form) % 2 == 0 and all(form[i] == form[i + 1] for i in range(0, len(form), 2))
    doubled = any(a == b for a, b in zip(form, form[1:]))
    primed_first = any(p.endswith("'") and p[0] not in "".join(form[:i]) for i, p in enumerate(form))
    if not _FORM_RE.fullmatch(spelled) or (doubled and not paired) or primed_first:
        raise ConfigError(
            f"`form` {text!r}: give parts as letters, every part repeated (AABB, AABBCC) or none (AB, ABAC);"
            " A' varies an earlier A (ABA'C)"
        )
    if not 1 <= part_bars <= 64:
        raise ConfigError("`part_bars` must be between 1 and 64")
    repeated = doubled and paired
    letters = form[::2] if repeated else form
    return FormPlan(tuple((letter, repeated) for letter in letters), part_bars, cadence)


def default_plan(tune_type: str | None, part_bars: int | None = None, cadence: bool | None = None) -> FormPlan | None:
    """The usual form of a type (reel: AABB of 8 bars, closing on the tonic), or None: songs, airs
    and tunes of no known type have no one form."""
    form = DEFAULT_FORMS.get(tune_type or "")
    if form is None:
        return None
    dance = tune_style(tune_type) == "dance"
    return parse_form(form, part_bars or DEFAULT_PART_BARS, dance if cadence is None else cadence)
