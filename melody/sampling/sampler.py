"""Sampling: all pieces advance together one token per step, the model's state carried between steps.

`token_loop` is the one place that draws and steps the network; what a row may draw, and what it
must write, come from the row (`LoopRow`): a piece following its plan (plans.py: forced text, a
primer, header fields the user chose, and free text that the model writes) under its mask
(masks.py), or one of vary's candidate bars (vary.py).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from melody.errors import VocabularyError
from melody.music.tunes import FormPlan
from melody.network.checkpoint import Model
from melody.network.model import repeat_state, select_state
from melody.sampling.config import SampleConfig
from melody.sampling.masks import fed_state, sampling_mask
from melody.sampling.plans import primer_plan, type_slot_free
from melody.tokenizers.base import SPECIALS


def warm_up_ids(tokenizer) -> list[int]:
    """Ids fed before each piece: a short tune then <bos> (just <eos> <bos> for an odd vocabulary)."""
    try:
        return tokenizer.encode(tokenizer.warm_up_piece()) + [tokenizer.bos_id]
    except VocabularyError:
        return [tokenizer.eos_id, tokenizer.bos_id]


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
    network,
    logits,
    state,
    rows: list[LoopRow],
    generator,
    filters: tuple[float, int, float],
    max_tokens: int,
    progress=None,
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

    def __init__(self, segments, prefix, rules, state=None, accompanist=None):
        self.segments = segments  # list of forced id lists, None for a free line (or token)
        self.rules = rules  # what every row shares: _SharedRules
        self.forced: list[int] = []
        self.free_line = False
        self.done = False
        self.ids: list[int] = list(prefix)  # forced text already fed to the model
        self.state = state  # the piece's constraint state when sampling is constrained
        self.returns = None  # its PartReturns when the model knows its forms' cues
        self.returned = False  # a part came back whole: its last note stays as it was written
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
        if self.returned and not self.forced:
            masks = masks | self.returns.sealed
        return masks

    def write(self, token: int) -> int:
        if self.forced:
            token = self.forced.pop(0)
        elif self.returned:
            self.returned = False
        elif self.free_line and self.rules.segment_end in (token, None):
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
                again = self.returns.fed(token, self.state)
                self.forced[:0] = again
                self.returned = self.returned or bool(again)


@dataclass
class _SharedRules:
    """What every row of one sampling call reads."""

    vocab: list[str]
    eos: int
    segment_end: int | None  # the token that ends a free segment (None: one token does)
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
    type_required = type_slot_free(plan)
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
    segment_end = tokenizer.index.get(tokenizer.segment_end)
    rules = _SharedRules(tokenizer.vocab, tokenizer.eos_id, segment_end, constraint, specials, eos_banned)
    rows = [
        _Row(
            [list(s) if s is not None else None for s in plan],
            prefix,
            rules,
            state=fed_state(tokenizer, prefix, config, forms, random.Random(base + row), type_required)
            if constraint
            else None,
            accompanist=accompanists[row],
        )
        for row in range(config.count)
    ]
    if constraint is not None and constraint.cues:
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
