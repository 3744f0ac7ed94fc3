"""The musical state of an ABC tune token by token, and the tokens that keep it well-formed.

`TuneState` follows abc tokens (see formats/abc_lexer.py): header or body, time used in the current
bar, open tuplet, chord, grace group or slur, pending tie, repeat structure. The bar checker feeds
whole tunes through it and collects the problems; the constrained sampler asks it, before each
token, which tokens may come next (`Constraint.mask`), so every bar it writes is full:

- a note or rest must fit in what is left of the bar (its shortest length counted), a length token
  must not overflow the bar; a tuplet or a broken rhythm must leave room for its partner notes;
- a bar line comes only when the bar is full, except the first bar (an anacrusis), a closing
  ``|]`` that completes the anacrusis, and the A part's ``:|`` back to the start, whose replayed
  anacrusis completes its last bar; the next section then opens with a pickup of the same length
  and ``|:`` (abc2midi carries the short bar's time into it);
- a tie goes to the same pitch; a repeat ``|:`` is closed by ``:|`` before the tune ends;
- a first ending closes (``:|``) within `MAX_ENDING_BARS` bars;
- ``<eos>`` comes only where a final bar line could, with nothing left open and, in a metered tune,
  at least `min_bars` bars; after `max_bars` bars the tune ends (or closes its repeat) at the first
  chance.

The same rules, with the strict ones relaxed to what abc2midi and musicians accept (a short bar
before a section end that completes the anacrusis), are what the checker reports.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from melody.formats.abc import meter_fraction
from melody.formats.abc_lexer import parse_length, token_kind
from melody.tokenizers.base import SPECIALS

# Durations are integer ticks of a whole note: every unit length to 1/64, length to /16, broken
# rhythm and tuplet of 2 to 9 notes divides it, so bar timing is int arithmetic (fast to add, compare
# and hash). An odd duration that does not divide stays an exact Fraction of ticks.
TICKS = 2**12 * 3**2 * 5 * 7
ONE = Fraction(1)
BROKEN_SHIFT = {">": Fraction(1, 2), ">>": Fraction(3, 4), "<": Fraction(-1, 2), "<<": Fraction(-3, 4)}
BROKEN_NEXT = {token: 1 - shift for token, shift in BROKEN_SHIFT.items()}
LENGTHENING_DECORATIONS = frozenset({"H", "!fermata!", "!invertedfermata!"})  # abc2midi holds these notes longer
ROLLS = frozenset({"~"})  # abc2midi plays a roll as grace notes, which need room: see TuneState.rolled
SHORTEST_ROLLED = Fraction(3, 8)  # ... a written length of 1/4 unit or less is too short for them
MAX_ENDING_BARS = 4  # strict: a first ending closes within 4 bars (all but 5 of 332 in folk; the
# model, once it forgot an ending was open, wrote on until the bar limit)
SECTION_ENDS = frozenset({":|", "||", "|]", "::"})
TUPLET_TIME = {2: 3, 3: 2, 4: 3, 6: 2}  # p notes in the time of q (simple meters)


def compound_meter(meter: str) -> bool:
    """6/8, 9/8, 12/8...: a written numerator that is a multiple of 3 above 3. Read from the text,
    since 6/8 as a fraction is 3/4."""
    match = re.fullmatch(r"\(?([0-9+]+)\)?\s*/\s*([0-9]+)", meter.strip())
    top = sum(int(part) for part in match.group(1).split("+") if part) if match else 0
    return top % 3 == 0 and top > 3


def tuplet_ratio(token: str, compound: bool) -> tuple[int, Fraction] | None:
    """(notes, time factor) of a tuplet token ``(p:q:r``; q defaults by the ABC standard, which
    for 5, 7 and 9 notes depends on whether the meter is compound (as abc2midi reads it)."""
    parts = token[1:].split(":")
    p = int(parts[0])
    default_q = TUPLET_TIME.get(p, 3 if compound else 2)
    q = int(parts[1]) if len(parts) > 1 and parts[1] else default_q
    r = int(parts[2]) if len(parts) > 2 and parts[2] else p
    if p < 2 or q < 1 or r < 1:
        return None
    return r, Fraction(q, p)


def ticks(value: Fraction) -> int | Fraction:
    """Whole notes as ticks."""
    return _times(TICKS, value)


def _times(amount: int | Fraction, factor: Fraction) -> int | Fraction:
    """amount * factor, an int whenever it divides (it almost always does)."""
    if type(amount) is int:
        whole, rest = divmod(amount * factor.numerator, factor.denominator)
        if not rest:
            return whole
    product = amount * factor
    return product.numerator if product.denominator == 1 else product


@functools.lru_cache(maxsize=1 << 12)
def _pitch_key(note: str) -> str:
    """Letter and octave of a note token."""
    return note.lstrip("_^=")


@functools.lru_cache(maxsize=1 << 12)
def _accidental(note: str) -> str:
    return note[: len(note) - len(note.lstrip("_^="))]


@dataclass
class TuneState:
    """Where a tune stands after the tokens fed so far. `strict` is the sampler's rule set.
    Durations (unit, bar, used, ...) are in TICKS per whole note."""

    strict: bool = False
    min_bars: int = 8
    header: list[str] = field(default_factory=list)
    unit: int | Fraction = TICKS // 8
    bar: int | Fraction | None = TICKS  # length of a full bar; None for free meter
    compound: bool = False  # a compound meter (tuplets of 5, 7 and 9 read it)
    used: int | Fraction = 0
    bars: int = 0  # bars completed
    anacrusis: int | Fraction | None = None
    last: str = "start"  # kind of the last token
    last_note: str | None = None
    last_length: int | Fraction = 0  # time of the last note, rest or chord (length tokens change it)
    last_scale: int | Fraction = 0  # time of one unit for that element
    next_factor: Fraction = ONE  # broken rhythm's share for the next element
    after_broken: bool = False
    lengthened: bool = False  # the last note already has its length token
    written: Fraction = ONE  # the last element's written length, in units
    partner: Fraction | None = None  # broken rhythm: the written length the next note must have
    must_length: Fraction | None = None  # ... and, once that note has started, what it still needs
    decorated: bool = False  # the last element has a decoration (abc2midi: no broken rhythm then)
    plain: bool = True  # the last element may take a length token and a broken rhythm (not a
    # tuplet note, not a broken rhythm's partner: abc2midi rejects both)
    tuplet_left: int = 0
    tuplet_factor: Fraction = ONE
    chord: int = -1  # -1 outside a chord, else notes seen in it
    grace: int = -1
    grace_units: Fraction = Fraction(0)  # written length of the open grace group, in units
    grace_time: Fraction | None = None  # a closed grace group's time (abc2midi: a quarter of its
    # written length), waiting for the note it leads into
    host_need: Fraction | None = None  # strict: that note's written length must exceed this
    roll_due: bool = False  # a roll decoration waits for its note
    rolled: bool = False  # the last element is a rolled note (strict: no length under 3/8 unit)
    slur: int = 0
    tie_to: tuple[str, str] | None = None  # letter+octave and sounding accidental a tie must reach
    bar_accidentals: dict[str, str] = field(default_factory=dict)  # accidentals written in this bar
    repeat_open: bool = False
    ending: bool = False  # inside a first ending, which must be closed by :|
    ending_bars: int = 0  # bars of that first ending so far
    repeated: bool = False  # a repeat has closed: a later :| goes back to it, not to the start
    second_due: bool = False  # a first ending was just closed: a second ending may start
    finished: bool = False
    pickup_due: int | Fraction | None = None  # strict: the A part's :| replayed the anacrusis, so the
    # next section opens with a pickup this long and |: (abc2midi carries the short bar's time into it)
    section_short: tuple[int | Fraction, bool] | None = None  # short bar before a section end, and whether it
    # already completes the anacrusis; the bar after it may be the pickup that completes it
    problems: list[str] = field(default_factory=list)

    # ---- feeding -------------------------------------------------------------------------------
    def feed(self, token: str) -> None:
        kind = token_kind(token)
        if self.finished:
            self._problem("music after the closing bar line")
            self.finished = False
        if self.last == "deco" and kind not in ("note", "deco", "chord_open", "grace_open"):
            self._problem("a decoration before no note")
        if self.last == "tie" and kind not in ("note", "bar", "chord_open"):
            self._problem("a tie before no note")
        if self.must_length is not None and kind != "length":
            if self.must_length != 1:
                self._problem("broken rhythm between notes of different lengths")
            self.must_length = None
        if self.host_need is not None and self.chord < 0 and kind not in ("length", "broken"):
            self._judge_grace_host(self.written)
        handler = getattr(self, f"_feed_{kind}", None)
        if handler is not None:
            handler(token)
        if kind != "length":
            self.last = kind

    def _problem(self, text: str) -> None:
        self.problems.append(f"bar {self.bars + (0 if self.anacrusis else 1)}: {text}")

    def _feed_header(self, token: str) -> None:
        self.header.append(token)
        if token.startswith("M:"):
            self._set_meter(token[2:])
        elif token.startswith("L:"):
            self.unit = ticks(Fraction(token[2:]))

    def _set_meter(self, text: str) -> None:
        meter = meter_fraction(text)
        self.bar = ticks(meter) if meter is not None else None
        self.compound = compound_meter(text)

    def _feed_field(self, token: str) -> None:
        field_name, value = token[1], token[3:-1]
        if field_name == "M":
            self._set_meter(value)
        elif field_name == "L":
            try:
                self.unit = ticks(Fraction(value))
            except (ValueError, ZeroDivisionError):
                self._problem(f"bad unit length {value}")

    def _scale(self) -> int | Fraction:
        scale = _times(self.unit, self.tuplet_factor) if self.tuplet_left > 0 else self.unit
        return scale if self.next_factor is ONE else _times(scale, self.next_factor)

    def _sounding(self, token: str) -> tuple[str, str]:
        """A note's letter+octave and its accidental as sounded (written, or carried in the bar)."""
        key = _pitch_key(token)
        return key, _accidental(token) or self.bar_accidentals.get(key, "")

    def _feed_note(self, token: str) -> None:
        if self.tie_to is not None and self.chord < 0 and (token == "z" or self._sounding(token) != self.tie_to):
            self._problem(f"tie to {token}, not to the same pitch")
        if token != "z" and _accidental(token):
            self.bar_accidentals[_pitch_key(token)] = _accidental(token)
        if self.grace >= 0:
            self.grace += 1
            self.grace_units += 1
            return
        if self.chord >= 0:
            self.chord += 1
            if self.chord > 1:
                return  # a chord lasts as long as its first note
        self.tie_to = None
        self.last_note = token if token != "z" else None
        self._start_element(self._scale())
        self.next_factor = ONE
        if self.tuplet_left > 0 and self.chord < 0:
            self.tuplet_left -= 1

    _feed_rest = _feed_note

    def _start_element(self, scale: int | Fraction) -> None:
        self.last_scale = scale
        self.last_length = scale
        self.used += scale
        self.after_broken = False
        self.lengthened = False
        self.written = ONE
        self.plain = self.partner is None and self.tuplet_left == 0
        self.decorated = self.last == "deco"
        self.rolled, self.roll_due = self.roll_due and self.chord < 0, False
        self.must_length, self.partner = self.partner, None
        if self.grace_time is not None:  # this element is the grace notes' host
            self.host_need, self.grace_time = self.grace_time / self.next_factor, None

    def _feed_length(self, token: str) -> None:
        if self.grace >= 0 and self.last == "note":
            self.grace_units += _length(token) - 1
            return
        if self.last not in ("note", "rest", "chord_close") or self.grace >= 0:
            return
        if self.chord >= 0 and self.chord > 1:
            return
        value = _length(token)
        self.lengthened, self.written = True, value
        if self.strict and self.rolled and value < SHORTEST_ROLLED:
            self._problem("a roll on a note too short for abc2midi to play it (it cuts the roll off)")
        if self.must_length is not None:
            if value != self.must_length:
                self._problem("broken rhythm between notes of different lengths")
            self.must_length = None
        if self.last == "chord_close":
            length = _times(self.last_length, value)
            self.used += length - self.last_length
            self.last_length = length
            return
        self.last_length = _times(self.last_scale, value)
        self.used += self.last_length - self.last_scale

    def _feed_broken(self, token: str) -> None:
        if self.host_need is not None:
            self._judge_grace_host(self.written * (1 + BROKEN_SHIFT[token]))
        self.used += _times(self.last_length, BROKEN_SHIFT[token])
        self.next_factor = BROKEN_NEXT[token]
        self.after_broken = True
        self.partner = self.written

    def _feed_tie(self, token: str) -> None:
        if self.last_note is None:
            self._problem("a tie after no note")
        elif self.decorated:
            self._problem("a tie from a decorated note (abc2midi cannot follow it)")
        self.tie_to = self._sounding(self.last_note) if self.last_note else None

    def _feed_tuplet(self, token: str) -> None:
        ratio = tuplet_ratio(token, self.compound)
        if ratio is None:
            self._problem(f"bad tuplet {token}")
            return
        self.tuplet_left, self.tuplet_factor = ratio

    def _feed_chord_open(self, token: str) -> None:
        self.chord = 0

    def _feed_chord_close(self, token: str) -> None:
        if self.chord <= 0:
            self._problem("a chord with no notes")
        self.chord = -1

    def _feed_deco(self, token: str) -> None:
        self.roll_due = self.roll_due or token in ROLLS

    def _feed_grace_open(self, token: str) -> None:
        self.grace, self.grace_units = 0, Fraction(0)

    def _feed_grace_close(self, token: str) -> None:
        self.grace = -1
        self.grace_time = self.grace_units / 4

    def _judge_grace_host(self, written: Fraction) -> None:
        """abc2midi gives each grace note a quarter of its written length, taken from the next note,
        and cuts the group off (with a warning) when that is not shorter than the note as written."""
        if self.strict and written <= self.host_need:
            self._problem("grace notes as long as the note after them (abc2midi cuts them off)")
        self.host_need = None

    def _feed_slur_open(self, token: str) -> None:
        self.slur += 1

    def _feed_slur_close(self, token: str) -> None:
        self.slur = max(0, self.slur - 1)

    def _feed_ending(self, token: str) -> None:
        self.ending = token.startswith("[1")
        self.ending_bars = 0
        self.second_due = False

    def _feed_bar(self, token: str) -> None:
        bar, used = self.bar, self.used
        if self.chord >= 0 or self.grace >= 0:
            self._problem("a bar line inside a chord or grace notes")
        if self.last in ("deco", "tuplet", "broken", "slur_open"):
            self._problem(f"a bar line right after a {self.last}")
        if used > 0:
            if bar is not None and used != bar:
                self._check_short_bar(token, used, bar)
            elif self.section_short is not None:
                short, justified = self.section_short
                if not justified:
                    self._problem(f"{_beats(short)} before a section end where the meter wants {_beats(bar)}")
                elif self.pickup_due is not None:
                    self._problem("a full bar where the pickup into the next section belongs")
                    self.pickup_due = None
                self.section_short = None
            self.bars += 1
            self.ending_bars += self.ending
        if self.strict and self.ending and token not in (":|", "::") and self.ending_bars >= MAX_ENDING_BARS:
            self._problem(f"a first ending longer than {MAX_ENDING_BARS} bars")
        self.used = 0
        self.bar_accidentals = {}
        if self.tie_to is not None and token != "|":
            self._problem("a tie across a repeat or section line")
        self.second_due = token in (":|", "::") and self.ending
        if token in (":|", "::"):
            self.repeated = True
            self.repeat_open = token == "::"
            self.ending = False
        elif token == "|:":
            if self.repeat_open and self.strict:
                self._problem("a repeat opened twice")
            self.repeat_open = True
        self.finished = token == "|]" and self.strict

    def _check_short_bar(self, token: str, used: int | Fraction, bar: int | Fraction) -> None:
        """A short bar is fine as the anacrusis, as the bar that completes it at the end, and (for
        the checker, not the sampler) as a section's last bar whose rest is the next pickup."""
        pending, self.section_short = self.section_short, None
        if used < bar and self.bars == 0 and self.anacrusis is None:
            self.anacrusis = used
            return
        if used < bar and pending is not None and used + pending[0] == bar:
            if not self.strict:
                return  # the pickup into the next section
            if self.pickup_due is not None:
                self.pickup_due = None
                if token != "|:":
                    self._problem("the pickup after a repeat to the start must open the next repeat (|:)")
                return
        if pending is not None and not pending[1]:
            self._problem(f"{_beats(pending[0])} before a section end where the meter wants {_beats(bar)}")
        completes = self.anacrusis is not None and used + self.anacrusis == bar
        to_start = token == ":|" and not self.repeated and not self.repeat_open  # replays the anacrusis
        if used < bar and completes and (token == "|]" or to_start or (not self.strict and token in SECTION_ENDS)):
            self.section_short = (used, True)
            if self.strict and to_start:
                self.pickup_due = bar - used
            return
        if not self.strict and used < bar and token in SECTION_ENDS:
            self.section_short = (used, False)  # judged by the bar that follows: is it the pickup?
            return
        self._problem(f"{_beats(used)} where the meter wants {_beats(bar)}")

    def close(self) -> list[str]:
        """Problems of the whole tune, once it has ended."""
        if self.used == 0 and self.section_short is not None:
            self.section_short = None  # a short last bar is allowed
        if self.host_need is not None:
            self._judge_grace_host(self.written)
        if self.bar is not None and self.used > self.bar:
            self._problem(f"the last bar has {_beats(self.used)} where the meter wants {_beats(self.bar)}")
        if self.tie_to is not None:
            self.problems.append("the tune ends on a tie")
        if self.repeat_open:
            self.problems.append("a repeat opened and never closed")
        if self.tuplet_left > 0 or self.chord >= 0 or self.grace >= 0:
            self.problems.append("the tune ends inside a tuplet, chord or grace notes")
        if self.last in ("tuplet", "deco", "broken"):
            self.problems.append(f"the tune ends on a dangling {self.last}")
        return self.problems


def _float(value: Fraction | None) -> float | None:
    """Mask keys hold ratios as floats: a Fraction's hash costs ~3 us, a float's almost nothing,
    and distinct musical ratios never round to the same float."""
    return None if value is None else value.numerator / value.denominator


def _room(state: TuneState) -> int | Fraction | None:
    """Time left in the current bar (negative when overfull), or in the pickup that is due; None in
    free meter."""
    if state.pickup_due is not None:
        return state.pickup_due - state.used
    return None if state.bar is None else state.bar - state.used


def _beats(value: int | Fraction) -> str:
    return f"{Fraction(value) / TICKS} of a whole note"


@functools.cache
def _length(token: str) -> Fraction:
    return parse_length(token)


# ---- sampling masks ------------------------------------------------------------------------------
class Constraint:
    """Precomputed facts about each vocabulary token, and the mask of tokens allowed in a state.

    Masks are cached by the part of the state they depend on: tunes revisit the same states all
    the time, so the per-token cost is a dictionary lookup."""

    def __init__(self, vocab: list[str], min_bars: int = 8, max_bars: int = 48):
        self.vocab = vocab
        self.min_bars, self.max_bars = min_bars, max_bars
        size = len(vocab)
        self.kinds = np.array([token_kind(t) if t not in SPECIALS else "special" for t in vocab])
        self.eos = vocab.index(SPECIALS[2])
        self.lengths = np.zeros(size)
        for i, token in enumerate(vocab):
            if self.kinds[i] == "length":
                self.lengths[i] = float(parse_length(token))
        self.accidentals = np.array([_accidental(t) if k == "note" else "" for t, k in zip(vocab, self.kinds)])
        self.pitch_keys = np.array([_pitch_key(t) if k == "note" else "" for t, k in zip(vocab, self.kinds)])
        self.min_length = float(min(self.lengths[self.kinds == "length"], default=1.0))
        self.min_length = min(self.min_length, 1.0)
        self.host_lengths = np.unique(np.append(self.lengths[self.kinds == "length"], 1.0))  # sorted
        self.shortest_rollable = float(self.host_lengths[self.host_lengths >= float(SHORTEST_ROLLED) - 1e-9][0])
        self.ids = {kind: np.flatnonzero(self.kinds == kind) for kind in set(self.kinds.tolist())}
        self.ids.setdefault("length", np.zeros(0, dtype=np.int64))
        lengthening = [i for i in self.ids.get("deco", []) if vocab[i] in LENGTHENING_DECORATIONS]
        self.rolls = [i for i in self.ids.get("deco", []) if vocab[i] in ROLLS]
        self.ids["safe_deco"] = np.setdiff1d(self.ids.get("deco", np.zeros(0, dtype=np.int64)), lengthening)
        self.by_token = {token: i for i, token in enumerate(vocab)}
        # the sampler writes only the plain tuplets, whose time (in units) no meter changes
        plain_tuplets = [t for t in ("(2", "(3", "(4") if t in self.by_token]
        self.tuplet_units = {self.by_token[t]: float(math.prod(tuplet_ratio(t, False))) for t in plain_tuplets}
        self._cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # key -> (allowed, banned)

    def header_mask(self, position: int) -> np.ndarray:
        """Header tokens come first, in the order meter, unit, key."""
        mask = np.zeros(len(self.vocab), dtype=bool)
        prefix = "MLK"[position] + ":"
        for i in self.ids.get("header", []):
            if self.vocab[i].startswith(prefix):
                mask[i] = True
        return mask

    def mask(self, state: TuneState) -> np.ndarray:
        """(V,) True where a token keeps the tune well-formed."""
        return self._cached(state)[0]

    def banned(self, state: TuneState) -> np.ndarray:
        """(V,) True where the sampler must not go; at a dead end only <eos> is left (the tune is
        then resampled)."""
        return self._cached(state)[1]

    def _cached(self, state: TuneState) -> tuple[np.ndarray, np.ndarray]:
        if len(state.header) < 3:
            key = ("header", len(state.header))
            if key not in self._cache:
                self._cache[key] = self._with_banned(self.header_mask(len(state.header)))
            return self._cache[key]
        f = _float
        room = _room(state)
        key = (  # what _compute reads: the bar's room, not the meter and time used (fewer misses)
            room,
            state.pickup_due is not None,
            state.unit,
            self._bar_bucket(state.bars),
            state.anacrusis is not None,
            state.anacrusis == room,
            state.last,
            state.last_scale,
            state.last_length,
            f(state.next_factor),
            state.after_broken,
            state.tuplet_left,
            f(state.tuplet_factor),
            state.grace,
            state.slur,
            state.tie_to,
            state.bar_accidentals.get(state.tie_to[0], "") if state.tie_to else "",
            state.repeat_open,
            state.ending,
            state.ending and state.ending_bars + 1 >= MAX_ENDING_BARS,
            state.second_due,
            state.repeated,
            state.finished,
            state.last_note is not None,
            state.lengthened,
            f(state.must_length),
            f(state.partner),
            state.plain,
            f(state.written),
            state.decorated,
            f(state.host_need),
            f(state.grace_units) if state.grace >= 0 else 0,
            state.rolled,
        )
        cached = self._cache.get(key)
        if cached is None:
            cached = self._with_banned(self._compute(state))
            if len(self._cache) < 200_000:
                self._cache[key] = cached
        return cached

    def _with_banned(self, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if allowed.any():
            return allowed, ~allowed
        only_end = np.ones_like(allowed)
        only_end[self.eos] = False
        return allowed, only_end

    def _bar_bucket(self, bars: int) -> int:
        """All the rules read of the bar count: the first bar (anacrusis), too short to close, one
        bar short of closable, closable, or past max_bars."""
        if bars >= self.max_bars:
            return 4
        if bars == 0 or bars >= self.min_bars:
            return 0 if bars == 0 else 3
        return 2 if bars == self.min_bars - 1 else 1

    def _set(self, mask: np.ndarray, kind: str, value=True) -> None:
        ids = self.ids.get(kind)
        if ids is not None and len(ids):
            mask[ids] = value

    def _compute(self, s: TuneState) -> np.ndarray:
        mask = self._compute_rules(s)
        if s.host_need is not None and s.chord < 0:
            self._grace_host_lengths(mask, s)
        return mask

    def _host_fits(self, s: TuneState, grace_units: float, room: float) -> bool:
        """Whether the bar still has room for a host note longer than grace notes of this written
        length take (a quarter of it, see TuneState._judge_grace_host)."""
        fitting = self.host_lengths[self.host_lengths * float(s.unit) <= room + 1e-9]
        return len(fitting) > 0 and fitting[-1] > grace_units / 4 + 1e-9

    def _grace_host_lengths(self, mask: np.ndarray, s: TuneState) -> None:
        """After grace notes, their host note must stay longer than them as written (see
        TuneState._judge_grace_host): only lengths and broken rhythms that keep it so."""
        need, written = float(s.host_need), float(s.written)
        lengths = self.ids["length"]
        if s.lengthened:
            keep_lengths = np.zeros(0, dtype=lengths.dtype)
        else:
            keep_lengths = lengths[self.lengths[lengths] > need + 1e-9]
            mask[lengths[self.lengths[lengths] <= need + 1e-9]] = False
        broken = {token: written * float(1 + shift) > need + 1e-9 for token, shift in BROKEN_SHIFT.items()}
        for token, fine in broken.items():
            if not fine and token in self.by_token:
                mask[self.by_token[token]] = False
        if written <= need + 1e-9:  # as it stands the note is too short: lengthen it first
            keep = np.zeros_like(mask)
            keep[keep_lengths] = True
            keep[[self.by_token[t] for t, fine in broken.items() if fine and t in self.by_token]] = True
            mask &= keep

    def _compute_rules(self, s: TuneState) -> np.ndarray:
        mask = np.zeros(len(self.vocab), dtype=bool)
        if s.finished:
            mask[self.eos] = True
            return mask
        room = float(_room(s)) if s.bar is not None else float("inf")
        element_done = s.last in ("note", "rest", "chord_close")
        if s.grace >= 0:  # inside grace notes: up to four notes, then the closing brace
            if s.grace < 4 and self._host_fits(s, float(s.grace_units) + 1, room):
                self._set(mask, "note")
            if s.grace > 0 and self._host_fits(s, float(s.grace_units), room):
                self._set(mask, "grace_close")
            return mask
        if s.last in ("note", "rest") and s.last_scale and not s.lengthened:
            lengths = self.lengths[self.ids["length"]]
            fits = float(s.last_scale) * (lengths - 1) <= room + 1e-9
            if s.rolled:
                fits &= lengths >= float(SHORTEST_ROLLED) - 1e-9
            if s.must_length is not None:  # broken rhythm: the partner note has the same written length
                fits &= np.abs(lengths - float(s.must_length)) < 1e-9
                if s.must_length != 1:
                    mask[self.ids["length"][fits]] = True
                    return mask
            if s.plain:
                mask[self.ids["length"][fits]] = True
            if room < -1e-9:
                return mask  # only a shorter length can mend this note
        scale = float(s.unit * (s.tuplet_factor if s.tuplet_left > 0 else 1) * s.next_factor)
        note_fits = room + 1e-9 >= scale * (1.0 if s.tuplet_left > 0 else self.min_length)
        if s.last in ("tie",) or s.tie_to is not None:
            if note_fits:
                key, sounding = s.tie_to
                notes = self.ids["note"]
                carried = s.bar_accidentals.get(key, "")
                written = self.accidentals[notes]
                same = (self.pitch_keys[notes] == key) & (np.where(written != "", written, carried) == sounding)
                mask[notes[same]] = True
            if room <= 1e-9 and "|" in self.by_token:
                mask[self.by_token["|"]] = True  # a tie crosses a plain bar line only
            return mask
        if s.last in ("deco", "grace_close"):
            if note_fits:
                self._set(mask, "note")
            return mask
        if note_fits:
            self._set(mask, "note")
            self._set(mask, "rest")
            if len(self.ids["safe_deco"]):
                mask[self.ids["safe_deco"]] = True
                if room + 1e-9 < scale * self.shortest_rollable:
                    mask[self.rolls] = False  # no room for a note long enough to roll
            if s.tuplet_left == 0 and not s.after_broken and self._host_fits(s, 1.0, room):
                self._set(mask, "grace_open")
        if s.after_broken:
            self._set(mask, "deco", False)
            return mask
        if s.tuplet_left > 0:
            return mask
        if element_done:
            if s.last_note is not None and s.last in ("note", "length") and not s.decorated and s.pickup_due is None:
                if room <= 1e-9 or room + 1e-9 >= float(s.unit) * self.min_length:
                    self._set(mask, "tie")
            half, partner = float(s.last_length) / 2, float(s.unit * s.written)
            if s.plain and not s.decorated and s.last != "chord_close" and s.must_length is None:
                if ">" in self.by_token and room - half + 1e-9 >= partner / 2:
                    mask[self.by_token[">"]] = True
                if "<" in self.by_token and room + half + 1e-9 >= partner * 1.5:
                    mask[self.by_token["<"]] = True
            if s.slur > 0:
                self._set(mask, "slur_close")
        for i, units in self.tuplet_units.items():
            if units * float(s.unit) <= room + 1e-9:
                mask[i] = True
        if s.slur == 0 and s.last != "slur_open" and note_fits:
            self._set(mask, "slur_open")
        self._set_bars(mask, s, room)
        if s.last == "bar":
            self._set_endings(mask, s)
        if s.bars >= self.max_bars:  # long enough: end (or close the open repeat) at the first chance
            closing = [i for i in (self.eos, self.by_token.get(":|"), self.by_token.get("|]")) if i is not None]
            if mask[closing].any():
                keep = np.zeros_like(mask)
                keep[closing] = mask[closing]
                mask = keep
        return mask

    def _set_bars(self, mask: np.ndarray, s: TuneState, room: float) -> None:
        if s.last in ("slur_open", "deco", "tuplet", "broken", "grace_open", "grace_close"):
            return
        if s.last in ("start", "header", "bar", "ending"):  # no music since the last bar line
            i = self.by_token.get("|:")
            if i is not None and s.last != "ending" and not s.repeat_open and s.pickup_due is None:
                mask[i] = True
            if s.last == "bar" and s.bars >= self._least_bars(s) and not (s.repeat_open or s.ending or s.slur):
                mask[self.eos] = True
            return
        full = abs(room) <= 1e-9 or s.bar is None  # free meter (M:none): a bar ends where the model likes
        anacrusis = s.bars == 0 and s.anacrusis is None and room > 1e-9 and not s.repeat_open and s.bar is not None
        completes = s.anacrusis is not None and abs(float(s.anacrusis) - room) <= 1e-9
        allowed: set[str] = set()
        if anacrusis:
            allowed = {"|", "|:"}
        elif full:
            allowed = {"|", "||", ":|", "|:", "::", "|]"}
        if completes and not s.repeat_open and not s.ending and s.bars + 1 >= self._least_bars(s):
            allowed.add("|]")
        if completes and not s.repeat_open and not s.repeated:
            allowed.add(":|")  # back to the start, whose anacrusis completes this bar (most folk A parts)
        if s.repeat_open:
            allowed -= {"|:", "|]"}
        else:
            allowed.discard("::")
            if s.anacrusis is not None and not s.repeated and not completes:
                allowed.discard(":|")  # a repeat back to the start would replay the anacrusis into a full bar
        if s.ending:
            allowed &= {"|", ":|", "::"} if s.ending_bars + 1 < MAX_ENDING_BARS else {":|", "::"}
        if s.pickup_due is not None:
            allowed &= {"|:"}  # the B part's pickup, then its repeat
        if s.bars + 1 < self._least_bars(s):
            allowed.discard("|]")
        for token in allowed:
            i = self.by_token.get(token)
            if i is not None:
                mask[i] = True
        if "|]" in allowed and s.tie_to is None and s.last != "tie" and not s.slur:
            mask[self.eos] = True  # the tune may end here; the decoder writes the closing |]

    def _least_bars(self, s: TuneState) -> int:
        """Bars before the tune may end. Free meter (M:none) tunes mark phrases, not bars, and most
        in the corpus have fewer than 8 bar lines; holding them to min_bars made the model, which
        wanted to end, write on."""
        return self.min_bars if s.bar is not None else 1

    def _set_endings(self, mask: np.ndarray, s: TuneState) -> None:
        first, second = self.by_token.get("[1"), self.by_token.get("[2")
        if first is not None and s.repeat_open and not s.ending:
            mask[first] = True
        if second is not None and s.second_due:
            mask[second] = True


def check_tokens(tokens: list[str], strict: bool = False) -> list[str]:
    """Problems of a whole tune given as abc tokens; an empty list means every bar is full."""
    state = TuneState(strict=strict)
    for token in tokens:
        state.feed(token)
    return state.close()
