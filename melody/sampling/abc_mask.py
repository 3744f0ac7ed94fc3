"""The sampler's mask: before each token, the abc tokens that keep the tune well-formed.

The tune's state is a `StrictTune` (sampling/tune_rules.py): the bar checker's `TuneState`
(formats/abc/state.py) narrowed to the sampler's rules, so what the sampler allows the checker
passes. From it the mask allows:

- a note or rest that fits in what is left of the bar (its shortest length counted), a length
  token that does not overflow it; a tuplet or a broken rhythm that leaves room for its partners;
- a bar line only when the bar is full, except the first bar (an anacrusis), a closing ``|]``
  that completes the anacrusis, and a ``:|`` back to the start (or to the pickup its part's ``|:``
  came before), whose replayed pickup completes its last bar; the next section then opens with a
  pickup of that length, before its ``|:`` or after it (tune_rules.py says which forms take which);
- a tie to the same pitch; a repeat ``|:`` closed by ``:|`` before the tune ends; a first ending
  closed within `MAX_ENDING_BARS` bars;
- ``<eos>`` only where a final bar line could be, with nothing left open and, in a metered tune, at
  least `min_bars` bars; after `max_bars` bars the tune ends (or closes its repeat) at once;
- for a model that learned register cues, the cues right after the header (the highest note no
  lower than the lowest), then only notes between the two (formats/abc/register.py).

Masks are cached by the part of the state they read (`Constraint._cached`); the form rules that
read only the state are in sampling/form_mask.py.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.syntax import (
    BROKEN_SHIFT,
    LAST_BAR_CUE,
    LENGTHENING_DECORATIONS,
    ROLLS,
    TICKS,
    accidental,
    letter,
    parse_length,
    pitch_key,
    tuplet_ratio,
)
from melody.music.theory import ACCIDENTAL_SHIFT, key_tonic
from melody.music.tunes import swing_pair
from melody.sampling.form_mask import (
    cadence_bar,
    cadence_hold,
    closes_to_start,
    form_bars,
    form_key,
    gives_back_now,
    pickup_inside_due,
    room_left,
)
from melody.sampling.header_mask import header_mask
from melody.sampling.register_mask import RegisterRule
from melody.sampling.ticks import NoteTimes, as_float, whole
from melody.sampling.tune_rules import MAX_ENDING_BARS, StrictTune
from melody.tokenizers.base import SPECIALS


def on_swing_pair(state: StrictTune) -> bool | None:
    """None in a tune abc2midi does not swing; else whether the last element begins one of the
    pairs it swings, where a broken rhythm may be written (elsewhere its own swing has moved the note)."""
    tune_type = state.header[0][2:] if state.header and state.header[0].startswith("R:") else None
    pair = swing_pair(tune_type, state.meter)
    return None if pair is None else state.element_start % (pair * TICKS) == 0


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
        self.lengths = np.array([Fraction(0)] * size, dtype=object)  # a length token's factor, in units
        for i, token in enumerate(vocab):
            if self.kinds[i] == "length":
                self.lengths[i] = parse_length(token)
        self.accidentals = np.array([accidental(t) if k == "note" else "" for t, k in zip(vocab, self.kinds)])
        self.pitch_keys = np.array([pitch_key(t) if k == "note" else "" for t, k in zip(vocab, self.kinds)])
        self.letters = np.array([letter(t) if k == "note" else "" for t, k in zip(vocab, self.kinds)])
        self.shifts = np.array([ACCIDENTAL_SHIFT.get(a, 99) for a in self.accidentals])  # 99: none written
        self.ids = {kind: np.flatnonzero(self.kinds == kind) for kind in set(self.kinds.tolist())}
        self.ids.setdefault("length", np.zeros(0, dtype=np.int64))
        lengthening = [i for i in self.ids.get("deco", []) if vocab[i] in LENGTHENING_DECORATIONS]
        self.rolls = [i for i in self.ids.get("deco", []) if vocab[i] in ROLLS]
        self.ids["safe_deco"] = np.setdiff1d(self.ids.get("deco", np.zeros(0, dtype=np.int64)), lengthening)
        self.by_token = {token: i for i, token in enumerate(vocab)}
        # the sampler writes only the plain tuplets, whose time (in units) no meter changes
        plain_tuplets = [t for t in ("(2", "(3", "(4") if t in self.by_token]
        tuplet_units = {self.by_token[t]: math.prod(tuplet_ratio(t, False)) for t in plain_tuplets}
        self.times = NoteTimes(self.lengths[self.ids["length"]], tuplet_units)
        self.cues = LAST_BAR_CUE in self.by_token  # the model learned its forms' cues
        self.register = RegisterRule(vocab, self.ids, self.letters, self.shifts)
        self._cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # key -> (allowed, banned)

    def header_mask(self, fed: str, *asked, **named) -> np.ndarray:
        """The header tokens that may come next (sampling/header_mask.py)."""
        return header_mask(self.vocab, self.ids.get("header", []), self.by_token, fed, *asked, **named)

    def mask(self, state: StrictTune) -> np.ndarray:
        """(V,) True where a token keeps the tune well-formed."""
        return self._in_register(state)[0]

    def banned(self, state: StrictTune) -> np.ndarray:
        """(V,) True where the sampler must not go; at a dead end only <eos> is left (the tune is
        then resampled)."""
        return self._in_register(state)[1]

    def _in_register(self, state: StrictTune) -> tuple[np.ndarray, np.ndarray]:
        return self.register.kept(self._cached(state), state, self._with_banned)

    def _cached(self, state: StrictTune) -> tuple[np.ndarray, np.ndarray]:
        if not state.header or state.header[-1][0] != "K":
            fed = "".join(token[0] for token in state.header)
            tune_type = state.header[0][2:] if fed[:1] == "R" else None
            key = ("header", fed, state.form is not None, tune_type, state.type_required, state.meter_asked)
            if key not in self._cache:
                mask = self.header_mask(fed, *key[2:])
                self._cache[key] = self._with_banned(mask)
            return self._cache[key]
        if self.register.learned and state.high is None and state.last == "header":
            return self.register.cue_masks(state.low, self._with_banned)
        cue = state.cue_due() if self.cues else None
        if cue in self.by_token:  # the form's cue, and nothing else, comes here
            key = ("cue", cue)
            if key not in self._cache:
                only = np.zeros(len(self.vocab), dtype=bool)
                only[self.by_token[cue]] = True
                self._cache[key] = self._with_banned(only)
            return self._cache[key]
        f = as_float
        room = room_left(state)
        key = (  # what _compute reads: the bar's room, not the meter and time used (fewer misses)
            room,
            state.pickup_due is not None,
            state.unit,
            self._bar_bucket(state.bars),
            f(state.anacrusis),
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
            state.repeat_open,
            state.pickup_inside,
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
            form_key(state),
            on_swing_pair(state),
            state.cue_now,
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

    def _compute(self, s: StrictTune) -> np.ndarray:
        mask = self._compute_rules(s)
        if s.host_need is not None and s.chord < 0:
            self._grace_host_lengths(mask, s)
        swung = on_swing_pair(s)
        if swung is not None:
            self._set(mask, "deco", False)  # abc2midi swings these itself: a decoration throws its pairs
            if not swung:  # out ("Cannot apply broken rhythm"), as does a written broken rhythm off a pair
                self._set(mask, "broken", False)
            if not s.plain and s.tuplet_left == 0 and s.grace < 0:  # ... as do grace notes right after a tuplet
                self._set(mask, "grace_open", False)
        if self.cues and s.form is None and s.last in ("bar", "header") and not s.finished:
            self._free_cues(mask, s)
        return mask

    def _free_cues(self, mask: np.ndarray, s: StrictTune) -> None:
        """A tune of no asked form places its own cues (a form forces them): after a bar line or the
        header, a part's letter, then perhaps its last bar's cue."""
        if s.cue_now is None:
            self._set(mask, "part")
        elif s.cue_now != LAST_BAR_CUE:
            mask[self.by_token[LAST_BAR_CUE]] = True

    def _host_fits(self, s: StrictTune, grace_units: Fraction, room) -> bool:
        """Whether the bar still has room for a host note longer than grace notes of this written
        length take (a quarter of it, see StrictTune._judge_grace_host)."""
        fitting = self.times.host_lengths[self.times.hosts(s.unit) <= room]
        return len(fitting) > 0 and fitting[-1] > grace_units / 4

    def _grace_host_lengths(self, mask: np.ndarray, s: StrictTune) -> None:
        """After grace notes, their host note must stay longer than them as written (see
        StrictTune._judge_grace_host): only lengths and broken rhythms that keep it so."""
        need, written = s.host_need, s.written
        lengths = self.ids["length"]
        if s.lengthened:
            keep_lengths = np.zeros(0, dtype=lengths.dtype)
        else:
            keep_lengths = lengths[self.lengths[lengths] > need]
            mask[lengths[self.lengths[lengths] <= need]] = False
        broken = {token: written * (1 + shift) > need for token, shift in BROKEN_SHIFT.items()}
        for token, fine in broken.items():
            if not fine and token in self.by_token:
                mask[self.by_token[token]] = False
        if written <= need:  # as it stands the note is too short: lengthen it first
            keep = np.zeros_like(mask)
            keep[keep_lengths] = True
            keep[[self.by_token[t] for t, fine in broken.items() if fine and t in self.by_token]] = True
            mask &= keep

    def _compute_rules(self, s: StrictTune) -> np.ndarray:
        mask = np.zeros(len(self.vocab), dtype=bool)
        if s.finished or s.form_done:
            mask[self.eos] = True
            return mask
        if pickup_inside_due(s) and "|:" in self.by_token:
            mask[self.by_token["|:"]] = True
            return mask
        cadence = cadence_bar(s)
        room = room_left(s) if s.bar is not None else math.inf  # in ticks, as the reader counts them
        element_done = s.last in ("note", "rest", "chord_close")
        if s.grace >= 0:  # inside grace notes: up to four notes, then the closing brace
            if s.grace < 4 and self._host_fits(s, s.grace_units + 1, room):
                self._set(mask, "note")
            if s.grace > 0 and self._host_fits(s, s.grace_units, room):
                self._set(mask, "grace_close")
            return mask
        if s.last in ("note", "rest") and s.last_scale and not s.lengthened:
            timed = self.times.with_lengths(s.last_scale)  # the note's time with each length token
            added = timed - s.last_scale  # ... beyond what it has
            fits = added <= room
            if s.rolled:
                fits &= self.times.rollable
            hold = cadence_hold(s) if cadence else 0
            if cadence and s.plain and not s.last_tonic:  # not the part's last note: leave the tonic its hold
                fits &= added <= room - hold
                if room < hold:
                    mask[self.ids["length"][fits]] = True
                    return mask
            if cadence and s.plain and s.last_tonic:  # the tonic: it ends the part, or leaves its hold for more
                left = room - added
                ends = left == 0
                if s.anacrusis:  # the pickup given back, the tonic still held
                    ends |= (left == s.anacrusis) & (timed >= hold)
                fits &= ends | (left >= hold)
                given_back = s.anacrusis and room == s.anacrusis and s.last_length >= hold  # ends here, held
                short_of_bar = 0 < room < hold and not given_back
                if short_of_bar:  # as it stands it leaves less than a unit: only a length that ends the part
                    mask[self.ids["length"][fits]] = True
                    return mask
            if s.must_length is not None:  # broken rhythm: the partner note has the same written length
                fits &= self.lengths[self.ids["length"]] == s.must_length
                if s.must_length != 1:
                    mask[self.ids["length"][fits]] = True
                    return mask
            if s.plain:
                mask[self.ids["length"][fits]] = True
            if room < 0:
                return mask  # only a shorter length can mend this note
        scale = (
            s.unit
            if s.tuplet_left <= 0 and s.next_factor == 1
            else whole(s.unit * s.next_factor * (s.tuplet_factor if s.tuplet_left > 0 else 1))
        )
        shortest, rollable = self.times.shortest(scale, s.tuplet_left > 0)
        note_fits = room >= shortest
        if s.last in ("tie",) or s.tie_to is not None:
            if note_fits:
                key, sounding = s.tie_to  # the tied note: no accidental (it carries over), or the same
                notes = self.ids["note"]
                written = self.accidentals[notes]
                same = (self.pitch_keys[notes] == key) & ((written == "") | (written == sounding))
                mask[notes[same]] = True
            if room <= 0 and "|" in self.by_token:
                mask[self.by_token["|"]] = True  # a tie crosses a plain bar line only
            return mask
        if s.last in ("deco", "grace_close"):
            if note_fits:
                self._set(mask, "note")
                if cadence:
                    self._cadence_notes(mask, s, room, scale)
            return mask
        if note_fits:
            self._set(mask, "note")
            self._set(mask, "rest")
            if cadence:
                self._cadence_notes(mask, s, room, scale)
            if len(self.ids["safe_deco"]):
                mask[self.ids["safe_deco"]] = True
                if room < rollable:
                    mask[self.rolls] = False  # no room for a note long enough to roll
            if s.tuplet_left == 0 and not s.after_broken and self._host_fits(s, 1, room):
                self._set(mask, "grace_open")
        if s.after_broken:
            self._set(mask, "deco", False)
            return mask
        if s.tuplet_left > 0:
            return mask
        if element_done:
            if s.last_note is not None and s.last in ("note", "length") and not s.decorated and s.pickup_due is None:
                part_end = s.form is not None and s.part_need() == 1  # no tie across a part's end
                if cadence and not s.last_tonic:
                    pass  # a tie would hold a note that is not the tonic into the part's end
                elif (room <= 0 and not part_end) or room >= self.times.shortest(s.unit, False)[0]:
                    self._set(mask, "tie")
            half, partner = Fraction(s.last_length) / 2, s.unit * s.written
            if s.plain and not s.decorated and s.last != "chord_close" and s.must_length is None:
                hold = cadence_hold(s) if cadence else 0  # in a part's last bar, the pair leaves the tonic its hold
                if ">" in self.by_token and room - half - partner / 2 >= hold:
                    mask[self.by_token[">"]] = True
                if "<" in self.by_token and room + half - partner * Fraction(3, 2) >= hold:
                    mask[self.by_token["<"]] = True
            if s.slur > 0:
                self._set(mask, "slur_close")
        tuplet_room = room - cadence_hold(s) if cadence else room  # a tuplet leaves the closing tonic its hold
        for i, ticks in self.times.tuplets(s.unit):
            if ticks <= tuplet_room:
                mask[i] = True
        if s.slur == 0 and s.last != "slur_open" and note_fits:
            self._set(mask, "slur_open")
        self._set_bars(mask, s, room)
        if s.last == "bar":
            self._set_endings(mask, s)
        if (
            s.bars >= self.max_bars and s.form is None
        ):  # long enough: end (or close the open repeat) at the first chance
            closing = [i for i in (self.eos, self.by_token.get(":|"), self.by_token.get("|]")) if i is not None]
            if mask[closing].any():
                keep = np.zeros_like(mask)
                keep[closing] = mask[closing]
                mask = keep
        return mask

    def _set_bars(self, mask: np.ndarray, s: StrictTune, room) -> None:
        if s.last in ("slur_open", "deco", "tuplet", "broken", "grace_open", "grace_close"):
            return
        if s.last in ("start", "header", "bar", "ending"):  # no music since the last bar line
            i = self.by_token.get("|:")
            if i is not None and s.last != "ending" and not s.repeat_open:  # a pickup due may follow it
                mask[i] = s.form is None or (s.part_bars_done == 0 and s.form.sections[s.section][1])
            if s.last == "bar" and s.bars >= self._least_bars(s) and not (s.repeat_open or s.ending or s.slur):
                mask[self.eos] = s.form is None
            return
        full = room == 0 or s.bar is None  # free meter (M:none): a bar ends where the model likes
        anacrusis = s.bars == 0 and s.anacrusis is None and room > 0 and not s.repeat_open and s.bar is not None
        short_by = closes_to_start(s) or gives_back_now(s)
        real_room = room + s.anacrusis if short_by else room  # the bar's own room
        completes = s.anacrusis is not None and s.anacrusis == real_room
        allowed: set[str] = set()
        if anacrusis:
            allowed = {"|", "|:"}
        elif full:
            allowed = {"|", "||", ":|", "|:", "::", "|]"}
        if completes and not s.repeat_open and not s.ending and s.bars + 1 >= self._least_bars(s):
            allowed.add("|]")
        if completes and (not s.repeat_open and not s.repeated or s.pickup_inside):
            allowed.add(":|")  # back to the start, or the part's pickup, which completes this bar
        if s.pickup_inside:  # the part's :| goes back to its pickup: only from a bar short by it
            allowed -= {"::"} if completes else {":|", "::"}
        if s.repeat_open:
            allowed -= {"|:", "|]"}
        else:
            allowed.discard("::")
            if s.anacrusis is not None and not s.repeated and not completes:
                allowed.discard(":|")  # a repeat back to the start would replay the anacrusis into a full bar
        if s.ending:
            allowed &= {"|", ":|", "::"} if s.ending_bars + 1 < MAX_ENDING_BARS else {":|", "::"}
        if s.pickup_due is not None:
            allowed &= {"|"} if s.repeat_open else {"|:"}  # the B part's pickup inside its repeat, or before it
        if s.bars + 1 < self._least_bars(s):
            allowed.discard("|]")
        if s.form is not None and s.bar is not None:
            allowed = form_bars(s, allowed, counted=not anacrusis and s.pickup_due is None)
        for token in allowed:
            i = self.by_token.get(token)
            if i is not None:
                mask[i] = True
        if "|]" in allowed and s.tie_to is None and s.last != "tie" and not s.slur:
            mask[self.eos] = True  # the tune may end here; the decoder writes the closing |]

    def _least_bars(self, s: StrictTune) -> int:
        """Bars before the tune may end. Free meter (M:none) tunes mark phrases, not bars, and most
        in the corpus have fewer than 8 bar lines; holding them to min_bars made the model, which
        wanted to end, write on. A tune with a form ends where its form does."""
        return self.min_bars if s.bar is not None and s.form is None else 1

    # ---- form (the rules that read only the state live in sampling/form_mask.py) ------------------
    def _cadence_notes(self, mask: np.ndarray, s: StrictTune, room: float, scale: float) -> None:
        """In a part's last bar, a note that would leave the tonic less than its hold (a unit, or as
        long as the corpus holds it: the plan's `last_units`) must be the tonic itself; no rest comes
        before the tonic has sounded, and no chord is written there. A cadence squeezed into a
        sixteenth is no cadence."""
        self._set(mask, "chord_open", False)
        if not s.last_tonic:
            self._set(mask, "rest", False)  # no rest before the cadence: the books almost never
        shortest = self.times.shortest(scale, s.tuplet_left > 0)[0]
        if room - shortest >= cadence_hold(s):
            return  # the hold left after it, at its shortest
        tonic, shift, _signature = key_tonic(s.key)
        notes = self.ids["note"]
        sounding = np.where(self.shifts[notes] != 99, self.shifts[notes], s.tonic_shift_now())
        mask[notes[(self.letters[notes] != tonic) | (sounding != shift)]] = False
        if s.form.last_units > 1:
            self._set(mask, "rest", False)  # the tonic held, not cut short by a rest

    def _set_endings(self, mask: np.ndarray, s: StrictTune) -> None:
        if s.form is not None:
            return  # a part with a form has no endings: each plays its bars as written
        first, second = self.by_token.get("[1"), self.by_token.get("[2")
        if first is not None and s.repeat_open and not s.ending and not s.pickup_inside:
            mask[first] = True
        if second is not None and s.second_due:
            mask[second] = True
