"""Sampling: all pieces advance together one token per step, the model's state carried between steps.

A piece follows a plan of segments: forced text (a primer, header fields the user chose) and free
text that the model writes. Header fields the user did not choose are free lines after a forced
``F:`` prefix, so ``--key Dmix`` alone still gets a title, meter and unit length from the model.
"""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import torch

from melody.errors import ConfigError, VocabularyError
from melody.formats.abc.form import draw_last_units, draw_plan
from melody.formats.abc.text import HEADER_ORDER, normalize_tune
from melody.music.score import Note, Score
from melody.music.theory import normalize_key, normalize_meter
from melody.music.tunes import (
    DEFAULT_PART_BARS,
    TYPE_METERS,
    FormPlan,
    default_plan,
    normalize_type,
    parse_form,
    tune_style,
)
from melody.network.checkpoint import Model
from melody.network.model import repeat_state, select_state
from melody.sampling.config import SampleConfig
from melody.sampling.priors import kept_tracks
from melody.tokenizers.base import SPECIALS

# Training streams tunes back to back with the state carried, so a zero state before <bos> is almost
# never seen there. Sampling starts from the state after one plain tune, as every training tune does.
WARM_UP_TUNE = "T:A\nM:4/4\nL:1/8\nK:C\nCDEF GABc|c2G2 E2C2|]\n"
WARM_UP_SCORE = Score(tuple(Note(beat, beat + 1, pitch) for beat, pitch in enumerate((60, 62, 64, 65, 67, 64, 60))))


def warm_up_ids(tokenizer) -> list[int]:
    """Ids fed before each piece: a short tune then <bos> (just <eos> <bos> for an odd vocabulary)."""
    try:
        warm_up = WARM_UP_SCORE if tokenizer.piece_kind == "score" else WARM_UP_TUNE
        return tokenizer.encode(warm_up) + [tokenizer.bos_id]
    except VocabularyError:
        return [tokenizer.eos_id, tokenizer.bos_id]


def form_plan(config: SampleConfig, tune_type: str | None, table: dict | None = None, rng=None) -> FormPlan | None:
    """The form a tune of this type must have: --form; else, for a type asked with --type, its usual
    form (none for songs and airs); else, when the model keeps its corpus's forms (`table`), one
    drawn as that corpus has them for the type (`rng`); else the type's usual form. None: free.
    The cadence is on the tonic unless --cadence free, or the tune is a song and --cadence does
    not ask for it; a tune that opens with an anacrusis gives it back as often as the corpus's do."""
    if config.form == "free":
        return None
    tune_type = normalize_type(config.tune_type or "") or tune_type  # the type asked for, if any
    cadence = None if config.cadence is None else config.cadence == "tonic"
    entry = (table or {}).get(tune_type or "")
    if config.form is not None:
        if cadence is None:
            cadence = tune_style(tune_type) != "song"
        plan = parse_form(config.form, config.part_bars or DEFAULT_PART_BARS, cadence)
    elif entry is not None and rng is not None and not config.tune_type and config.part_bars is None:
        return draw_plan(entry, rng, cadence)
    else:
        plan = default_plan(tune_type, config.part_bars, cadence)
    if plan is not None and entry is not None and rng is not None:  # the anacrusis given back as the corpus does
        plan = replace(plan, give_back=rng.random() < entry.get("give_back", 0.0))
        plan = replace(plan, last_units=draw_last_units(entry, rng))
    return plan


def primer_segments(config: SampleConfig) -> list[tuple[str, bool]]:
    """The plan: (text, free) pairs. Forced text is fed as is; a free segment ends at a newline."""
    primer = (config.primer or "").replace("\r\n", "\n").replace("\r", "\n")
    if primer.lstrip().startswith("X:"):
        primer = primer.split("\n", 1)[1] if "\n" in primer else ""
    if primer and "K:" in primer:  # a whole header: bring it to the canonical form the model knows
        canonical, _ = normalize_tune(primer)
        primer = canonical if canonical else primer
    chosen = {"T": config.title, "M": config.meter, "K": config.key}
    if not any(chosen.values()):
        return [(primer, False)] if primer else []
    if "K:" in primer:
        raise ConfigError("give header fields either in the primer or with `key`/`meter`/`title`, not both")
    segments: list[tuple[str, bool]] = []
    for field in (field for field in HEADER_ORDER if field != "R"):  # character models write no type
        value = chosen.get(field)
        segments.append((f"{field}:{value.strip()}\n" if value else f"{field}:", False))
        if not value:
            segments.append(("", True))
    if primer:
        segments.append((primer, False))
    return segments


def _abc_token_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """For the abc tokenizer: forced header tokens for --meter/--key, then the primer's tokens.
    Free header tokens are left to the model (the constraint keeps them in order)."""
    from melody.formats.abc.lexer import LexError, body_tokens, normalize_key, normalize_meter, token_kind, tune_tokens

    primer = (config.primer or "").replace("\r\n", "\n")
    knows_types = any(token.startswith("R:") for token in tokenizer.vocab)
    if config.tune_type and not knows_types:
        raise ConfigError(
            "this model does not know tune types (it was trained without R: tokens); leave out `tune_type`"
        )
    try:
        if "K:" in primer:
            canonical, reason = normalize_tune(primer.split("\n", 1)[1] if primer.startswith("X:") else primer)
            if canonical is None:
                raise ConfigError(f"primer: {reason}")
            if config.key or config.meter or config.tune_type:
                raise ConfigError("give header fields either in the primer or with `tune_type`/`key`/`meter`, not both")
            tokens = tune_tokens(canonical, tokenizer.decorations)
        else:
            header, meter = [f"R:{normalize_type(config.tune_type)}"] if config.tune_type else [], config.meter
            if header and header[0] not in tokenizer.index:  # a type it never saw: its style, in its meter
                usual = TYPE_METERS.get(header[0][2:], (None,))[0]
                header, meter = [f"R:{tune_style(header[0][2:])}"], meter or usual
            for name, value, normal in (("M", meter, normalize_meter), ("K", config.key, normalize_key)):
                if value:
                    spelled = normal(value)
                    if spelled is None:
                        flag = "meter" if name == "M" else "key"
                        raise ConfigError(f"`{flag}` {value!r} is not an ABC {name}: value")
                    header.append(f"{name}:{spelled}")
            for line in primer.split("\n"):
                if re.match(r"^[A-Za-z]:", line.strip()) and line.strip()[0] not in "MLK":
                    raise ConfigError(f"primer: {line.strip()!r} is not music; this model takes titles from `title`")
            tokens = header + (body_tokens(primer, tokenizer.decorations) if primer.strip() else [])
    except LexError as error:
        raise ConfigError(f"primer: {error}") from None
    check_primer(tokens)
    if config.form not in (None, "free") and {"|:", "::"} & set(tokens):
        plan = parse_form(config.form, config.part_bars or DEFAULT_PART_BARS)
        if not plan.sections[0][1]:
            raise ConfigError(
                f"primer: |: repeats the first part, which `form` {config.form} plays once (try `form` AABB)"
            )
    unknown = [t for t in tokens if t not in tokenizer.index]
    if unknown:
        raise ConfigError(f"this model never saw {' '.join(unknown)}; it knows e.g. " + _known(tokenizer, unknown[0]))
    header = {t[0]: tokenizer.index[t] for t in tokens if token_kind(t) == "header"}
    if tokens and len(header) == len(tokens):  # only --type/--meter/--key: the rest of the header is free
        return [[header[f]] if f in header else None for f in ("RMLK" if knows_types else "MLK")]
    if tokens and [t[:2] for t in tokens if not t.startswith("R:")][:3] != ["M:", "L:", "K:"]:
        given = {t[0]: t[2:] for t in tokens if token_kind(t) == "header"}
        music = primer.strip().replace("\n", "\\n")  # as typed in a shell
        example = f"M:{given.get('M', '4/4')}\\nL:1/8\\nK:{given.get('K', 'C')}\\n{music}"
        raise ConfigError(f'a primer for this model starts with its M:, L: and K: fields, e.g. `primer` "{example}"')
    return [[tokenizer.index[t] for t in tokens]] if tokens else []


def check_primer(tokens: list[str]) -> None:
    """A primer is music the model carries on: whatever is already wrong in it (a bar too long, a
    chord inside a chord, a tie to another pitch) is a one-line error, not a tune written broken."""
    from melody.formats.abc.state import check_tokens

    problems = check_tokens(tokens, complete=False)
    if problems:
        raise ConfigError(f"primer: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


def _check_text_primer(primer: str) -> None:
    """A character model's primer with a whole header is checked as the abc tokens read it."""
    from melody.formats.abc.lexer import LexError, tune_tokens

    primer = primer.replace("\r\n", "\n")
    if "K:" not in primer:
        return
    canonical, reason = normalize_tune(primer.split("\n", 1)[1] if primer.startswith("X:") else primer)
    if canonical is None:
        raise ConfigError(f"primer: {reason}")
    try:
        check_primer(tune_tokens(canonical))
    except LexError as error:
        raise ConfigError(f"primer: {error}") from None


def primer_title(config: SampleConfig) -> str | None:
    """The primer's own T: line, which names the pieces when --title does not."""
    match = re.search(r"^T:(.*)$", (config.primer or "").replace("\r\n", "\n"), re.M)
    return match.group(1).strip() or None if match else None


def _known(tokenizer, token: str) -> str:
    """Tokens of the same kind as `token` that the model knows: meters for a meter, keys for a key."""
    kind = token[:2] if token[:2] in ("R:", "M:", "L:", "K:") else None
    known = [t for t in tokenizer.vocab if t[:2] == kind] if kind else [t for t in tokenizer.vocab if len(t) < 4]
    return " ".join(known[:16])


def primer_plan(config: SampleConfig, tokenizer) -> list[list[int] | None]:
    """The plan in token ids: forced id lists, None for a free line (ABC text) or a free token."""
    if tokenizer.abc_units:
        return _abc_token_plan(config, tokenizer)
    if config.tune_type or config.form not in (None, "free") or config.cadence or config.part_bars:
        raise ConfigError(
            "only models of abc tokens know tune types and forms; leave out `tune_type`, `form` and `cadence`"
        )
    if tokenizer.piece_kind == "abc":
        if config.primer_score is not None:
            raise ConfigError("this model writes ABC text; give it an ABC primer")
        _check_text_primer(config.primer or "")
        return [
            None if free else tokenizer.encode(text, bos=False, eos=False) for text, free in primer_segments(config)
        ]
    if config.primer:
        raise ConfigError("this model writes MIDI events; give it a primer file (.mid, .abc, .musicxml)")
    if config.primer_score is not None:
        return [tokenizer.encode(config.primer_score, bos=False, eos=False)]
    plan: list[list[int] | None] = []
    if config.meter:
        token = "METER_" + config.meter.replace("/", "_")
        if token not in tokenizer.index:
            raise ConfigError(f"this model knows no meter {config.meter!r}")
        plan = [[tokenizer.index[token]]]
    if config.key:  # the header is METER TEMPO KEY: the key comes third
        from melody.tokenizers.events import key_token

        if not normalize_key(config.key):
            raise ConfigError(f"`key` {config.key!r} is not a key (e.g. G, Em, Ddor)")
        if not tokenizer.keys:
            raise ConfigError(
                "this model's pieces carry no key (it learned performances or keyless events); leave out `key`"
            )
        plan = [plan[0] if plan else None, None, [tokenizer.index[key_token(config.key)]]]
    return plan


def filter_logits(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Temperature, then top-k, then nucleus (top-p) filtering. (B, V) -> (B, V)."""
    if temperature != 1.0:
        logits = logits / temperature
    if top_k and top_k < logits.size(-1):
        threshold = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) > top_p  # keep the token crossing p
        logits = logits.masked_fill(drop.scatter(-1, order, drop), float("-inf"))
    return logits


def draw(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One token per row from (B, V) probabilities, by inverting the cumulative distribution: the
    same distribution as torch.multinomial at a tenth of its cost (340 us against 25 us at batch
    64 on our CPU). A zero-probability token is never drawn: its cumulative sum does not exceed the
    one before it, and the search takes the first sum that exceeds the uniform point. The point is
    kept below the total, where float rounding of rand * total could otherwise reach it."""
    cumulative = probs.cumsum(dim=-1)
    total = cumulative[:, -1:]
    point = torch.rand(probs.shape[0], 1, generator=generator, device=probs.device) * total
    point = torch.minimum(point, torch.nextafter(total, torch.zeros_like(total)))
    return torch.searchsorted(cumulative, point, right=True).squeeze(1)


class LoopRow(Protocol):
    """What `token_loop` asks of each row (a piece, or one of vary's candidates): masks (abc, event,
    performance), form plans and part returns, accompaniment and forced text all answer through it."""

    done: bool  # the row wrote its last token (it then leaves the batch)

    def banned(self) -> np.ndarray:
        """(V,) True at the ids the row may not draw next."""

    def write(self, drawn: int) -> int:
        """The id the row writes, given the one drawn (forced text or an accompaniment replaces it)."""

    def fed(self, token: int) -> None:
        """The id written has been fed to the network: rules that read it may follow it now."""


def token_loop(
    network, logits, state, rows: list, generator, filters: tuple[float, int, float], max_tokens: int, progress=None
) -> None:
    """The one place that draws and steps the network: every row advances one token per step, from
    `logits` (B, V) and the network `state` after what the rows share; a row leaves the batch when
    it is done. `filters`: temperature, top-k, top-p; `progress(done, total)` hears as rows leave."""
    active, total = list(range(len(rows))), len(rows)
    for _ in range(max_tokens):
        masks = torch.from_numpy(np.stack([rows[i].banned() for i in active])).to(logits.device)
        probs = torch.softmax(filter_logits(logits.float().masked_fill(masks, float("-inf")), *filters), dim=-1)
        drawn = draw(probs, generator).tolist()  # (B,)
        keep, next_ids = [], []
        for slot, (index, token) in enumerate(zip(active, drawn)):
            token = rows[index].write(token)
            if not rows[index].done:
                keep.append(slot)
                next_ids.append(token)
        if not keep:
            break
        if len(keep) < len(active):  # finished rows leave the batch and stop costing
            if progress is not None:
                progress(total - len(keep), total)
            state = select_state(state, torch.tensor(keep, device=logits.device))
            active = [active[slot] for slot in keep]
        logits, state = network.step(torch.tensor(next_ids, device=logits.device), state)  # (B, V)
        for index, token in zip(active, next_ids):  # on a GPU this overlaps the step's queued kernels
            rows[index].fed(token)


class _Row:
    """One piece's progress through its plan (a LoopRow): forced segments and free lines, the
    constraint's state, part returns and an accompanist."""

    def __init__(self, segments, prefix, rules, line_mode=True, state=None, accompanist=None):
        self.segments = segments  # list of forced id lists, None for a free line (or token)
        self.line_mode = line_mode  # ABC text: a free segment runs to the newline; else one token
        self.rules = rules  # what every row shares: _SharedRules
        self.forced: list[int] = []
        self.free_line = False
        self.done = False
        self.ids: list[int] = list(prefix)  # forced text already fed to the model
        self.state = state  # the piece's constraint state when sampling is constrained
        self.returns = None  # its PartReturns when the model knows its forms' cues
        self.accompanist = accompanist
        self.advance()

    def advance(self) -> None:
        while self.segments and not self.forced and not self.free_line:
            segment = self.segments.pop(0)
            if segment is None:
                self.free_line = True
            else:
                self.forced = list(segment)

    def banned(self) -> np.ndarray:
        rules = self.rules
        masks = rules.eos_banned if self.free_line else rules.specials  # no <eos> inside a header line
        if rules.constraint is not None:
            masks = masks | rules.constraint.banned(self.state)
        if self.accompanist is not None:
            masks = masks | self.accompanist.banned()
        return masks

    def write(self, token: int) -> int:
        if self.forced:
            token = self.forced.pop(0)
        elif self.free_line and (token == self.rules.newline or not self.line_mode):
            self.free_line = False
        elif self.accompanist is not None:
            replacement = self.accompanist.intercept(token)
            if replacement:  # time may not pass the melody's next onset: go there and play it
                token, self.forced = replacement[0], replacement[1:] + self.forced
        if self.accompanist is not None:
            self.accompanist.feed(token)
        self.ids.append(token)
        if self.segments:
            self.advance()
        self.done = token == self.rules.eos
        return token

    def fed(self, token: int) -> None:
        if self.state is not None:
            self.state.feed(self.rules.vocab[token])
            if self.returns is not None:
                self.forced[:0] = self.returns.fed(token, self.state)


@dataclass
class _SharedRules:
    """What every row of one sampling call reads."""

    vocab: list[str]
    eos: int
    newline: int | None
    constraint: object | None
    specials: np.ndarray  # (V,) the special ids but <eos>
    eos_banned: np.ndarray  # ... and <eos>


@contextmanager
def _threads(count: int):
    """Step-by-step sampling does small matmuls: one thread avoids OpenMP spin-waits that make
    it up to 50x slower when another process shares the cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def sampling_mask(model: Model, config: SampleConfig | None = None):
    """The mask that keeps this model's pieces well-formed: bars for abc tokens, declared voices
    (the tracks asked for) and key for events, and the tempo asked for; notes let go of in
    performances; None for characters. Built
    once per model and choice of tracks and tempo."""
    build = MASKS.get(model.tokenizer.constraint)
    key = (config.tracks, config.tempo) if config is not None else (None, None)
    if build is not None and key not in model.masks:
        model.masks[key] = build(model, config)
    return model.masks.get(key)


def _abc_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.abc_mask import Constraint

    return Constraint(model.tokenizer.vocab)


def _event_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.event_mask import EventConstraint

    tempo = config.tempo if config is not None else None
    return EventConstraint(
        model.tokenizer.vocab, model.training.get("pitch_classes"), chosen_voices(model, config), tempo
    )


def _performance_mask(model: Model, config: SampleConfig | None):
    from melody.sampling.performance_mask import PerformanceConstraint
    from melody.tokenizers.performance import STEP_SECONDS

    voices, limits = chosen_voices(model, config), model.training.get("sounding")
    return PerformanceConstraint(model.tokenizer.vocab, voices, limits, STEP_SECONDS)


MASKS = {"abc": _abc_mask, "events": _event_mask, "performance": _performance_mask}  # by Tokenizer.constraint


def chosen_voices(model: Model, config: SampleConfig | None) -> dict | None:
    """The corpus's voice layout kept to the tracks asked for (`--tracks`); the whole layout when
    none are asked. A tempo only for models whose pieces keep a beat."""
    tokenizer, voices = model.tokenizer, model.training.get("voices")
    keeps_beat = tokenizer.quantised
    if config is not None and config.tempo is not None and not keeps_beat:
        raise ConfigError("`tempo` is for models of MIDI events on a beat grid (this model's pieces keep no beat)")
    if config is None or not config.tracks:
        return voices
    if not (voices and tokenizer.roles):
        raise ConfigError("`tracks` is for models of MIDI events that know their tracks (trained with voice roles)")
    return kept_tracks(voices, config.tracks)


def _fed_state(tokenizer, prefix: list[int], config: SampleConfig, forms: dict | None, rng, type_required: bool):
    """A row's constraint state after the shared prefix; an ABC tune's form waits for its type."""
    from functools import partial

    from melody.formats.abc.state import TuneState
    from melody.sampling.event_mask import EventState
    from melody.sampling.performance_mask import PerformanceState

    if tokenizer.constraint != "abc":
        state = {"events": EventState, "performance": PerformanceState}[tokenizer.constraint]()
    else:
        plan_for = partial(form_plan, config, table=forms, rng=rng)
        meter = normalize_meter(config.meter) if config.meter else None
        state = TuneState(
            strict=True, form=plan_for(None), form_for_type=plan_for, type_required=type_required, meter_asked=meter
        )
    for token in prefix:
        state.feed(tokenizer.vocab[token])
    return state


@dataclass
class SampledRow:
    """One sampled piece: its ids (without <bos>), and the form its tune was held to (abc tokens)."""

    ids: list[int]
    plan: FormPlan | None = None


def sample_ids(model: Model, config: SampleConfig, device="cpu", progress=None) -> list[list[int]]:
    """Token ids of `config.count` pieces (without <bos>), sampled in one batch. `progress(done,
    total)` hears as pieces finish."""
    return [row.ids for row in sample_rows(model, config, device, progress)]


def sample_rows(model: Model, config: SampleConfig, device="cpu", progress=None) -> list[SampledRow]:
    """`sample_ids` with the form each tune was held to."""
    small = config.count * model.config.hidden_size <= 32 * 512
    with _threads(1 if small else torch.get_num_threads()), torch.no_grad():
        return _sample_rows(model, config, device, progress or (lambda done, total: None))


def _sample_rows(model: Model, config: SampleConfig, device, progress) -> list[SampledRow]:
    tokenizer, network = model.tokenizer, model.network.to(device).eval()
    generator = torch.Generator(device=device)
    generator.manual_seed(config.seed if config.seed is not None else torch.seed())
    accompanists = [None] * config.count
    if config.accompany is not None:
        from melody.sampling.accompany import Accompanist

        layout = model.training.get("voices")
        accompanists = [Accompanist(tokenizer, config.accompany, layout) for _ in range(config.count)]
        plan = [accompanists[0].header()]
    else:
        plan = primer_plan(config, tokenizer)
    type_required = tokenizer.abc_units and len(plan) == 4 and plan[0] is None  # a free R: slot
    prefix: list[int] = []
    while plan and plan[0] is not None:  # forced text shared by all rows is fed in one call
        prefix += plan.pop(0)
    constraint = sampling_mask(model, config) if config.constrained else None
    forms = model.training.get("forms")  # the corpus's forms per type, when the model keeps them
    base = (config.seed if config.seed is not None else random.randrange(2**31)) * 100_003
    specials = np.zeros(len(tokenizer), dtype=bool)
    specials[[tokenizer.index[s] for s in SPECIALS if s != "<eos>"]] = True
    eos_banned = specials.copy()
    eos_banned[tokenizer.eos_id] = True
    rules = _SharedRules(tokenizer.vocab, tokenizer.eos_id, tokenizer.index.get("\n"), constraint, specials, eos_banned)
    rows = [
        _Row(
            [list(s) if s is not None else None for s in plan],
            prefix,
            rules,
            line_mode=tokenizer.line_mode,
            state=_fed_state(tokenizer, prefix, config, forms, random.Random(base + row), type_required)
            if constraint
            else None,
            accompanist=accompanists[row],
        )
        for row in range(config.count)
    ]
    if constraint is not None and getattr(constraint, "cues", False):
        from melody.sampling.returns import PartReturns

        for row in rows:
            row.returns = PartReturns(tokenizer.vocab)
    inputs = torch.tensor([warm_up_ids(tokenizer) + prefix], device=device)  # (1, W + P)
    logits, state = network(inputs)  # (1, W + P, V): the start all rows share, fed once
    logits, state = logits[:, -1].expand(config.count, -1), repeat_state(state, config.count)
    filters = (config.temperature, config.top_k, config.top_p)
    token_loop(network, logits, state, rows, generator, filters, config.max_tokens, progress)
    progress(config.count, config.count)
    return [SampledRow(row.ids, getattr(row.state, "form", None)) for row in rows]
