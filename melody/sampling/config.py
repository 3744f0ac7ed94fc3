"""What a user asks of sampling (SampleConfig), checked as it is made; apart from torch so the
command line can read its defaults without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

from melody.errors import ConfigError
from melody.music.score import Score
from melody.music.theory import normalize_meter
from melody.music.tunes import DEFAULT_PART_BARS, TUNE_TYPES, check_type_meter, normalize_type, parse_form

MIN_TEMPO, MAX_TEMPO = 20, 400


@dataclass(frozen=True)
class SampleConfig:
    count: int = 4
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    max_tokens: int = 1500
    seed: int | None = None
    primer: str | None = None
    key: str | None = None
    meter: str | None = None
    title: str | None = None
    tune_type: str | None = None  # abc tokens: the R: type, e.g. reel (its usual form follows)
    form: str | None = None  # abc tokens: parts, e.g. AABB; "free": none; None: the type's usual form
    part_bars: int | None = None  # bars of each part (default 8)
    cadence: str | None = None  # "tonic": each part ends on the tonic; "free"; None: tonic for dance types
    primer_score: Score | None = None  # for models of scores (midi tokenizer): the music to continue
    accompany: Score | None = None  # for event models with roles: the melody the pieces are written around
    tracks: tuple[str, ...] | None = None  # event models with roles: the corpus's tracks to write (names or roles)
    tempo: float | None = None  # event models on a beat grid: quarter notes per minute
    constrained: bool = True  # abc tokenizer: mask tokens that would break a bar (sampling/abc_mask.py)

    def __post_init__(self):
        if self.count < 1:
            raise ConfigError("`count` must be at least 1")
        if self.temperature <= 0:
            raise ConfigError("`temperature` must be above 0")
        if self.top_k < 0 or not 0 < self.top_p <= 1:
            raise ConfigError("`top_k` must be >= 0 and `top_p` in (0, 1]")
        if self.max_tokens < 1:
            raise ConfigError("`max_tokens` must be at least 1")
        if self.tune_type is not None and normalize_type(self.tune_type) is None:
            known = ", ".join(sorted(set(TUNE_TYPES.values())))
            raise ConfigError(f"`tune_type` {self.tune_type!r} is not a tune type melody knows: {known}")
        if self.tune_type and self.meter:
            check_type_meter(normalize_type(self.tune_type), normalize_meter(self.meter))
        if self.cadence not in (None, "tonic", "free"):
            raise ConfigError("`cadence` must be tonic or free")
        if self.form not in (None, "free"):
            parse_form(self.form, self.part_bars or DEFAULT_PART_BARS)  # a bad spelling is a ConfigError now
        elif self.part_bars is not None and not 1 <= self.part_bars <= 64:
            raise ConfigError("`part_bars` must be between 1 and 64")
        if self.tempo is not None and not MIN_TEMPO <= self.tempo <= MAX_TEMPO:
            raise ConfigError(f"`tempo` must be between {MIN_TEMPO} and {MAX_TEMPO} quarter notes a minute")
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
