"""What a user asks of sampling (SampleConfig), checked as it is made; apart from torch so the
command line can read its defaults without importing torch."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from melody.errors import ConfigError
from melody.music.score import Score
from melody.music.theory import normalize_meter
from melody.music.tunes import DEFAULT_PART_BARS, TUNE_TYPES, check_type_meter, normalize_type, parse_form

MIN_TEMPO, MAX_TEMPO = 20, 400


def _number(default, low, high, help: str, page: tuple | None = None, above: bool = False):
    """A numeric field with its limits, written once: `low`..`high` (None: open; `above`: low itself
    excluded) bound any config; `page`, the studio's narrower bounds for a page's field (a server
    guards its cores); `help`, the flag's and the field's words. The command line, the API and the
    studio read them here (`number_fields`)."""
    return field(
        default=default, metadata={"low": low, "high": high, "above": above, "help": help, "page": page or (low, high)}
    )


@dataclass(frozen=True)
class SampleConfig:
    count: int = _number(4, 1, None, "how many pieces, sampled in one batch", page=(1, 16))
    temperature: float = _number(1.0, 0, None, "below 1: safer, above 1: wilder", page=(0.05, 3.0), above=True)
    top_k: int = _number(0, 0, None, "sample from the k likeliest tokens only (0: all)")
    top_p: float = _number(1.0, 0, 1, "nucleus sampling: smallest set holding p", page=(0.05, 1.0), above=True)
    max_tokens: int = _number(1500, 1, None, "stop a piece after this many tokens", page=(16, 3000))
    seed: int | None = _number(None, None, None, "make the result repeatable", page=(0, 2**31 - 1))
    primer: str | None = None
    key: str | None = None
    meter: str | None = None
    title: str | None = None
    tune_type: str | None = None  # abc tokens: the R: type, e.g. reel (its books' forms follow)
    form: str | None = None  # abc tokens: parts, e.g. AABB; "free": none; None: the type's forms
    part_bars: int | None = _number(None, 1, 64, f"bars of each part (default {DEFAULT_PART_BARS})")
    cadence: str | None = None  # "tonic": each part ends on the tonic; "free"; None: tonic for dance types
    primer_score: Score | None = None  # for models of scores (midi tokenizer): the music to continue
    accompany: Score | None = None  # for event models with roles: the melody the pieces are written around
    tracks: tuple[str, ...] | None = None  # event models with roles: the corpus's tracks to write (names or roles)
    tempo: float | None = _number(None, MIN_TEMPO, MAX_TEMPO, "MIDI event models: quarter notes a minute")
    constrained: bool = True  # abc tokenizer: mask tokens that would break a bar (sampling/abc_mask.py)

    def __post_init__(self):
        for name, limits in number_fields().items():
            value = getattr(self, name)
            if value is not None and (name != "part_bars" or self.form in (None, "free")):
                check_number(name, value, limits["low"], limits["high"], limits["above"])
        if self.tune_type is not None and normalize_type(self.tune_type) is None:
            known = ", ".join(sorted(set(TUNE_TYPES.values())))
            raise ConfigError(f"`tune_type` {self.tune_type!r} is not a tune type melody knows: {known}")
        if self.tune_type and self.meter:
            check_type_meter(normalize_type(self.tune_type), normalize_meter(self.meter))
        if self.cadence not in (None, "tonic", "free"):
            raise ConfigError("`cadence` must be tonic or free")
        if self.form not in (None, "free"):
            parse_form(self.form, self.part_bars or DEFAULT_PART_BARS)  # a bad spelling is a ConfigError now
        if self.tracks is not None and not [t for t in self.tracks if t.strip()]:
            raise ConfigError("`tracks` must name at least one track")
        if self.accompany is not None and (self.tracks or self.tempo):
            raise ConfigError(
                "`accompany` takes its tempo from the melody and writes every other track; "
                "leave out `tracks` and `tempo`"
            )
        for name in ("key", "meter", "title", "tune_type"):
            value = getattr(self, name)
            if value is not None and ("\n" in value or not value.strip()):
                raise ConfigError(f"`{name}` must be one non-empty line")


def number_fields() -> dict[str, dict]:
    """SampleConfig's numeric fields and their limits (default, low, high, above, help, page) and
    type (float or int, as the field is annotated)."""
    return {
        f.name: dict(f.metadata, default=f.default, type=float if "float" in str(f.type) else int)
        for f in fields(SampleConfig)
        if f.metadata
    }


def check_number(name: str, value, low, high, above: bool = False) -> None:
    """A ConfigError naming the field unless `value` is within its limits."""
    too_low = low is not None and (value <= low if above else value < low)
    if too_low or (high is not None and value > high):
        if high is None:
            bound = f"above {low}" if above else f"at least {low}"
        else:
            bound = f"in ({low}, {high}]" if above else f"between {low} and {high}"
        raise ConfigError(f"`{name}` must be {bound}")
