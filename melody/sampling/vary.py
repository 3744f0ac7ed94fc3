"""Bars sampled again: every other bar of a tune kept exactly, a range written anew so that it leads
into the bars after it.

Method: the tune's tokens before the range are fed to the model once; `candidates` versions of the
range are then sampled together under the bar mask (each a whole number of full bars with plain bar
lines, different from the bars it replaces); each is scored by the model's log-likelihood of the
bars that follow it (the tokens after the range, up to the tune's end, fed after the candidate), and
the best is kept. Cost: sampling the range once per candidate, in one batch, plus one forward pass
over the rest of the tune per candidate: a variant of bars 5-8 of a 32-bar reel with 8 candidates
costs about as much as sampling one tune.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import numpy as np
import torch

from melody.errors import ConfigError
from melody.formats.abc.lexer import bar_text, token_kind, tokens_to_abc, tune_tokens
from melody.formats.abc.state import TuneState
from melody.formats.abc.syntax import CUE_KINDS, LexError
from melody.formats.abc.text import header_fields, normalize_tune
from melody.music.tunes import learned_meter
from melody.network.checkpoint import Model
from melody.network.model import repeat_state
from melody.sampling.form_mask import room_left
from melody.sampling.masks import sampling_mask
from melody.sampling.sampler import token_loop, warm_up_ids
from melody.sampling.tune_rules import StrictTune
from melody.tokenizers.base import SPECIALS


@dataclass
class Variant:
    """One new version of the tune, and the figures that chose it."""

    tokens: list[str]  # the whole tune, cues left out
    bars: list[str]  # the tokens of the new bars (bar lines included between them)
    span: tuple[int, int]  # which bars they are (first, last)
    score: float  # log-likelihood (nats) of the bars after the range, given this range
    candidate_scores: list[float]  # every candidate's, the chosen one among them

    def text(self, title: str) -> str:
        """The varied tune as canonical ABC text."""
        return tokens_to_abc(self.tokens, title)


def bar_spans(tokens: list[str]) -> list[tuple[int, int]]:
    """(first token, closing bar line) of each bar as a musician counts them: the anacrusis, and the
    pickup that completes a part's short last bar, are not bars."""
    state, spans, start, short = TuneState(), [], None, None  # short: time of the last short bar
    for index, token in enumerate(tokens):
        kind = token_kind(token)
        if kind != "header" and kind not in CUE_KINDS and start is None:
            start = index
        if kind == "bar" and state.used > 0:
            partial = state.bar is not None and state.used < state.bar
            pickup = partial and (not spans or short is not None and short + state.used == state.bar)
            if not pickup:
                spans.append((start, index))
            short = state.used if partial and not pickup else None
            start = None
        state.feed(token)
    return spans


def canonical_tune(text: str) -> str:
    """A tune's text (ABC as written, an X: line or not) as the canonical text `vary_tokens` reads."""
    canonical, reason = normalize_tune(text.split("\n", 1)[1] if text.startswith("X:") else text)
    if canonical is None:
        raise ConfigError(f"cannot vary this tune: {reason}")
    return canonical


def bar_at(text: str, offset: int) -> int:
    """The bar (as `bar_spans` counts them) in which the character at `offset` of a tune's text
    falls: how a click on the engraving becomes a bar number. The text is cut after the last bar
    line before that character, so what is read is always whole bars."""
    body = re.search(r"^K:.*$", text, flags=re.M)
    start = body.end() if body else 0
    before = text[start:offset]
    cut = max(before.rfind("|"), before.rfind("::"))
    if cut < 0:
        return 1
    end = start + cut + 1
    while end < len(text) and text[end] in ":]":  # the whole bar line: |: |] ::
        end += 1
    try:
        tokens = tune_tokens(canonical_tune(text[:end]))
    except (ConfigError, LexError):  # nothing but a pickup before it
        return 1
    return len(bar_spans(tokens)) + 1


# In a tune's own text: what is not notes (a %comment, "chords", !decorations!, [inline:fields], a
# field line) and what closes a bar (a bar line, with the ending that may follow it)
_NOT_NOTES = re.compile(r'%[^\n]*|"[^"\n]*"|![^!\n]*!|\[[A-Za-z]:[^\]\n]*\]|^[A-Za-z]:[^\n]*$', re.M)
_BAR_LINE = re.compile(r"(?:\[\||::|:*\|+[\]:]*)(?:\[?\d+(?:[,-]\d+)*)?")


def bar_regions(text: str) -> list[tuple[int, int]]:
    """Where each bar's notes stand in a tune's own text, as `bar_spans` counts bars (character
    offsets: after the bar line and ending before it, up to the space before the next bar line), so
    a bar can be written anew with every other character of the text kept."""
    body = re.search(r"^K:.*$", text, flags=re.M)
    start = body.end() if body else 0
    hidden = _NOT_NOTES.sub(lambda m: " " * len(m.group()), text[start:])
    lines = [(start + m.start(), start + m.end()) for m in _BAR_LINE.finditer(hidden)]
    counted = []  # (bar line start, end, bars complete once it is read)
    for begin, end in lines:
        try:
            done = len(bar_spans(tune_tokens(canonical_tune(text[:end]))))
        except (ConfigError, LexError):
            done = 0
        counted.append((begin, end, done))
    regions = []
    for number in range(1, max((done for _, _, done in counted), default=0) + 1):
        opening = [end for _, end, done in counted if done == number - 1]
        closing = next(begin for begin, _, done in counted if done == number)
        left = opening[-1] if opening else start
        while left < closing and text[left].isspace():
            left += 1
        right = closing
        while right > left and text[right - 1].isspace():
            right -= 1
        regions.append((left, right))
    return regions


def varied_in_place(text: str, variant: Variant) -> str:
    """The user's own tune with only the varied bars' notes written anew: its fields, parts,
    comments, chords, spacing and line breaks, every character outside those bars, kept."""
    regions = bar_regions(text)
    first, last = variant.span
    bars, current = [], []
    for token in variant.bars + ["|"]:
        if token_kind(token) == "bar":
            bars.append(current)
            current = []
        else:
            current.append(token)
    for number, tokens in zip(range(last, first - 1, -1), reversed(bars)):  # from the end: offsets hold
        left, right = regions[number - 1]
        text = text[:left] + bar_text(tokens) + text[right:]
    return text


def vary_tokens(
    model: Model,
    text: str,
    first: int,
    last: int,
    count: int = 1,
    candidates: int = 8,
    seed: int = 0,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
    device: str = "cpu",
) -> list[Variant]:
    """`count` variants of a canonical tune with bars `first`..`last` (1-based) sampled again, drawn
    as generate draws (the same filters, on the same device)."""
    tokenizer = model.tokenizer
    tokenizer.require("vary")
    tokens = tune_tokens(text)
    spans = bar_spans(tokens)
    if not 1 <= first <= last <= len(spans):
        raise ConfigError(f"`bars` {first}-{last}: the tune has bars 1-{len(spans)}")
    if last == len(spans):
        raise ConfigError("`bars`: leave at least the last bar as it is (the new bars lead into it)")
    fields = header_fields(text)
    printed, learned = fields.get("M"), learned_meter(fields.get("R"), fields.get("M"))
    if f"M:{learned}" not in tokenizer.index:
        learned = printed
    cued = _with_meter(tokenizer.with_cues(tokens), printed, learned)  # the model reads it as it writes them
    start, end = spans[first - 1][0], spans[last - 1][1]
    before, old, after = _cut(cued, tokens, start, end)
    reading = TuneState()
    for token in tokens[:end]:
        reading.feed(token)
    last_bar = reading.used  # the range's last bar as long as the one it replaces (it may be short)
    unknown = sorted({t for t in before + after if t not in tokenizer.index})
    if unknown:
        raise ConfigError(f"this model never saw {' '.join(unknown)}; vary a tune it can read")
    generator = torch.Generator(device=device).manual_seed(seed)
    network = model.network.to(device).eval()
    with torch.no_grad():  # the tune before the range, read once for every candidate
        ids = warm_up_ids(tokenizer) + [tokenizer.index[t] for t in before]
        prefix = network(torch.tensor([ids], device=device))
    variants, filters = [], (temperature, top_k, top_p)
    for _ in range(count):
        drawn = _sample_ranges(model, before, prefix, (last - first + 1, last_bar), candidates, generator, filters, old)
        scored = [_log_likelihood(model, prefix[1], bars, after) for bars in drawn]
        best = int(np.argmax(scored))
        whole = _with_meter(
            [t for t in before + drawn[best] + after if token_kind(t) not in CUE_KINDS], learned, printed
        )
        variants.append(Variant(whole, drawn[best], (first, last), scored[best], scored))
    return variants


def _with_meter(tokens: list[str], meter: str | None, other: str | None) -> list[str]:
    """The tokens with the header's M:`meter` spelled M:`other`."""
    if meter == other:
        return tokens
    at = tokens.index(f"M:{meter}")
    return tokens[:at] + [f"M:{other}"] + tokens[at + 1 :]


def _cut(cued: list[str], tokens: list[str], start: int, end: int) -> tuple[list[str], list[str], list[str]]:
    """The cued tokens before the range, the range's own tokens, and those from its closing bar line on."""
    plain_index = [i for i, t in enumerate(cued) if token_kind(t) not in CUE_KINDS]  # plain index -> cued index
    return cued[: plain_index[start]], tokens[start:end], cued[plain_index[end] :]


class _RangeRow:
    """One candidate range being written (a LoopRow of the sampler's token loop): the tune's mask
    and what a range never writes ruled out; done when its last bar is full."""

    def __init__(self, start: TuneState, constraint, ruled_out: np.ndarray, vocab: list[str], shape):
        self.state, self.constraint, self.ruled_out, self.vocab = copy.deepcopy(start), constraint, ruled_out, vocab
        self.bars, self.last_bar = shape
        self.written: list[str] = []
        self.closed = 0  # bar lines written
        self.done = False

    def banned(self) -> np.ndarray:
        return self.constraint.banned(self.state) | self.ruled_out

    def write(self, drawn: int) -> int:
        token = self.vocab[drawn]
        self.written.append(token)
        self.state.feed(token)
        if token_kind(token) == "bar":
            self.closed += 1
            if self.closed == self.bars - 1:
                self.state.bar = self.last_bar  # the mask fits the last bar to its length
        last_bar_full = self.closed == self.bars - 1 and room_left(self.state) == 0
        self.done = last_bar_full and _element_done(self.state)
        return drawn

    def fed(self, token: int) -> None:
        pass


def _sample_ranges(model, before, prefix, shape, count, generator, filters, old) -> list[list[str]]:
    """`count` ranges after `before` (`prefix`: the network's logits and state after it), sampled in
    one batch by the sampler's token loop, none equal to `old`; `shape`: how many bars, and the
    time of the last; `filters`: temperature, top-k, top-p, as generate takes them."""
    bars, last_bar = shape
    tokenizer, network = model.tokenizer, model.network
    constraint = sampling_mask(model)
    ruled_out = np.array([t in SPECIALS or _kept_out(t) for t in tokenizer.vocab])
    found: list[list[str]] = []
    logits, state = prefix
    start = _state_after(before, last_bar if bars == 1 else None)  # read once, copied per row
    with torch.no_grad():
        for _attempt in range(4):
            rows = count - len(found)
            if rows <= 0:
                break
            candidates = [_RangeRow(start, constraint, ruled_out, tokenizer.vocab, shape) for _ in range(rows)]
            row_logits, row_state = logits[:, -1].expand(rows, -1), repeat_state(state, rows)
            token_loop(network, row_logits, row_state, candidates, generator, filters, 80 * bars)
            found += [row.written for row in candidates if row.done and row.written != old]
    if not found:
        raise ConfigError(
            "no new bars fit there (the model kept writing the old ones or none); try a higher temperature"
        )
    return (found * count)[:count]


def _kept_out(token: str) -> bool:
    """What a range never writes: cues, endings, repeats and other bar lines than ``|``, and a tie
    into the bar after it."""
    kind = token_kind(token)
    return kind in CUE_KINDS or kind in ("ending", "tie") or kind == "bar" and token != "|"


def _state_after(before: list[str], bar=None) -> StrictTune:
    state = StrictTune()
    for token in before:
        state.feed(token)
    state.bar = bar if bar is not None else state.bar
    return state


def _element_done(state: TuneState) -> bool:
    """The bar's last element is finished: no open chord, tuplet, grace group or broken rhythm."""
    return (
        state.chord < 0
        and state.grace < 0
        and state.tuplet_left <= 0
        and state.last in ("note", "rest", "chord_close")
        and state.partner is None
    )


def _log_likelihood(model, state, bars: list[str], after: list[str]) -> float:
    """Nats of log-likelihood the model gives `after` (and the tune's end), reading `bars` from
    `state`, the network's state after the tune before them."""
    index, device = model.tokenizer.index, next(model.network.parameters()).device
    ids = [index[t] for t in bars + after] + [model.tokenizer.eos_id]
    with torch.no_grad():  # (1, T, V): each predicts the next id
        logits, _ = model.network.eval()(torch.tensor([ids[:-1]], device=device), state)
    logp = torch.log_softmax(logits[0].float(), dim=-1)
    picked = logp[torch.arange(len(ids) - 1, device=device), torch.tensor(ids[1:], device=device)]
    return float(picked[len(bars) - 1 :].sum())
