"""The sampler's rule set for ABC tunes: what the checker's TuneState (formats/abc/state.py) accepts,
narrowed to the commonest form, and the form, cues and register a tune is asked to keep. The mask
(sampling/abc_mask.py) reads this state before each token and allows only what keeps it clean:

- an A part's ``:|`` back to the start closes on a bar the anacrusis completes, and the next
  section opens with a pickup of the same length, either before its ``|:`` (abc2midi carries the
  short bar's time into it) or, as most books write it, after it (``:| |:A|``): then that part's
  ``:|`` goes back to its pickup, so its last bar is short by it too;
- a first ending closes (``:|``) within `MAX_ENDING_BARS` bars;
- grace notes stay shorter than their host, rolls go on notes long enough to hold them, and
  ``|]`` ends the tune.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.state import TuneState, check_tokens
from melody.formats.abc.syntax import (
    CUE_PREFIX,
    LAST_BAR_CUE,
    LOW_CUE,
    ROLLS,
    SHORTEST_ROLLED,
    cue_pitch,
    parse_length,
)
from melody.music.tunes import FormPlan

MAX_ENDING_BARS = 4  # a first ending closes within 4 bars (all but 5 of 332 in folk; the model, once
# it forgot an ending was open, wrote on until the bar limit)


@dataclass
class StrictTune(TuneState):
    """A tune as the sampler may write it (the rules above), with the form it must have."""

    rolled: bool = False  # the last element is a rolled note (no length under 3/8 unit)
    roll_due: bool = False  # a roll decoration waits for its note
    finished: bool = False  # |] was written: nothing may follow
    form: FormPlan | None = None  # the parts the tune must have (formats/abc/form.py)
    form_for_type: Callable[[str | None], FormPlan | None] | None = None  # the form once R: names the type
    section: int = 0  # the part being written, an index into form.sections
    part_bars_done: int = 0  # its bars so far (the anacrusis and pickups are not bars)
    form_done: bool = False  # every part is written: the tune ends
    type_required: bool = False  # the header names a type (R:) first
    meter_asked: str | None = None  # the M: the header will have; an R: before it must suit it
    pickup_due: int | Fraction | None = None  # the A part's :| replayed the anacrusis, so the next
    # section opens with a pickup this long and |: (abc2midi carries the short bar's time into it)
    pickup_inside: bool = False  # this part's |: came before its pickup, so its :| goes back to the
    # pickup and its last bar is short by it
    part_cued: bool = False  # this part's cue (P:A) was fed
    last_bar_cued: bool = False  # ... and the cue of its last bar (P:|)
    cue_now: str | None = None  # the cue fed since the last token of music
    low: int | None = None  # the register the tune keeps to (formats/abc/register.py), once cued
    high: int | None = None

    def feed(self, token: str) -> None:
        kind = token_kind(token)
        if kind == "register":
            if token.startswith(LOW_CUE):
                self.low = cue_pitch(token)
            else:
                self.high = cue_pitch(token)
            return
        if kind == "part":
            self.cue_now = token
            if token == LAST_BAR_CUE:
                self.last_bar_cued = True
            else:
                self.part_cued = True
            return
        self.cue_now = None
        if self.finished:
            self._problem("music after the closing bar line")
            self.finished = False
        super().feed(token)

    def _feed_header(self, token: str) -> None:
        super()._feed_header(token)
        if token.startswith("R:") and self.form_for_type is not None:
            self.form = self.form_for_type(token[2:])

    def _feed_deco(self, token: str) -> None:
        self.roll_due = self.roll_due or token in ROLLS

    def _start_element(self, scale: int | Fraction) -> None:
        super()._start_element(scale)
        self.rolled, self.roll_due = self.roll_due and self.chord < 0, False

    def _feed_length(self, token: str) -> None:
        lengthens = self.grace < 0 and self.last in ("note", "rest", "chord_close") and not self.chord > 1
        if lengthens and self.rolled and parse_length(token) < SHORTEST_ROLLED:
            self._problem("a roll on a note too short for abc2midi to play it (it cuts the roll off)")
        super()._feed_length(token)

    def _judge_grace_host(self, written: Fraction) -> None:
        """abc2midi gives each grace note a quarter of its written length, taken from the next note,
        and cuts the group off (with a warning) when that is not shorter than the note as written."""
        if written <= self.host_need:
            self._problem("grace notes as long as the note after them (abc2midi cuts them off)")
        super()._judge_grace_host(written)

    def _feed_bar(self, token: str) -> None:
        bar, used = self.bar, self.used
        pickup, first = self.pickup_due is not None, self.bars == 0 and self.anacrusis is None
        super()._feed_bar(token)
        if used > 0 and self.form is not None and not pickup and not (first and self.anacrusis is not None):
            self._count_part_bar()  # the anacrusis and a pickup are not bars of a part
        if self.ending and token not in (":|", "::") and self.ending_bars >= MAX_ENDING_BARS:
            self._problem(f"a first ending longer than {MAX_ENDING_BARS} bars", "a first ending too long")
        if self.pickup_inside and (token == "::" or token == ":|" and used == bar):
            self._problem("a part whose :| goes back to the part's pickup must close on a bar short by it, with :|")
        if token in (":|", "::"):
            self.pickup_inside = False
        self.finished = token == "|]"

    def _full_bar_after_section(self) -> None:
        if self.pickup_due is not None:
            self._problem("a full bar where the pickup into the next section belongs")
            self.pickup_due = None

    def _pickup_completes(self, token: str) -> bool:
        if self.pickup_due is None:
            return False
        self.pickup_due = None
        if token == "|" and self.repeat_open:
            self.pickup_inside = True  # |: then the pickup: the part's :| comes back to it
        elif token != "|:":
            self._problem("the pickup after a repeat to the start must open the next repeat (|:)")
        return True

    def _ends_short_section(self, token: str) -> bool:
        return False  # only a bar the anacrusis completes closes short

    def _back_to_pickup(self) -> bool:
        return self.pickup_inside

    def _replays_anacrusis(self, short_by: int | Fraction) -> None:
        self.pickup_due = short_by

    def _count_part_bar(self) -> None:
        """One more bar of the part being written; the part ends at form.part_bars, the tune after
        its last part."""
        self.part_bars_done += 1
        if self.part_bars_done >= self.form.part_bars:
            self.section, self.part_bars_done = self.section + 1, 0
            self.part_cued = self.last_bar_cued = False
            self.form_done = self.section >= len(self.form.sections)

    def cue_due(self) -> str | None:
        """The cue a form asks for now: the part's letter as it opens (right after the header or
        the bar line that closed the part before), then ``P:|`` as its last bar opens."""
        if self.form is None or self.form_done or self.last not in ("bar", "header") or not self.header:
            return None
        if self.last == "header" and self.header[-1][0] != "K":
            return None
        if not self.part_cued and self.part_bars_done == 0 and (self.last == "header" or self.bars > 0):
            return CUE_PREFIX + self.form.sections[self.section][0][0]
        if not self.last_bar_cued and self.part_need() == 1 and self.pickup_due is None:
            return LAST_BAR_CUE
        return None

    def part_need(self) -> int:
        """Bars still to write in the current part, this one included (0 once the form is done)."""
        return 0 if self.form is None or self.form_done else self.form.part_bars - self.part_bars_done


def strict_problems(tokens: list[str], complete: bool = True) -> list[str]:
    """What in a tune given as abc tokens breaks the sampler's rules (check_tokens with them)."""
    return check_tokens(tokens, complete, StrictTune())
