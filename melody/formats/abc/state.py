"""The state of an ABC tune token by token, and the problems of a tune bar by bar.

`TuneState` follows abc tokens (see formats/abc/lexer.py): header or body, time used in the current bar,
open tuplet, chord, grace group or slur, pending tie, accidentals of the bar, repeat structure.
The bar checker (`check_tokens`, behind checker.py) feeds whole tunes through it and collects the
problems: it accepts what abc2midi and musicians accept (a short bar before a section end that the
next pickup completes). The sampler writes only the commonest form of it: its rule set narrows this
state (sampling/tune_rules.py, through the hooks marked below) and its mask (sampling/abc_mask.py)
reads that state before each token to mask what would break the tune.

The rules of ABC itself (lengths, ticks, tuplets, broken rhythm, decorations) come from formats/abc/syntax.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.reader import Reader, note_key
from melody.formats.abc.syntax import (
    BROKEN_SHIFT,
    CUE_KINDS,
    SECTION_ENDS,
    TICKS,
    accidental,
    letter,
    parse_length,
    pitch_key,
    tuplet_ratio,
)
from melody.music.theory import ACCIDENTAL_SHIFT, key_tonic

SHORT_SECTION = "a short bar before a section end"


class Problem(str):
    """What is wrong, as a user reads it ("bar 3: ..."), with its bar and its kind: the text
    without bar number or figures, so a corpus report can tally problems of one kind."""

    bar: int | None
    kind: str

    def __new__(cls, text: str, bar: int | None = None, kind: str | None = None) -> Problem:
        problem = super().__new__(cls, text if bar is None else f"bar {bar}: {text}")
        problem.bar, problem.kind = bar, kind or text
        return problem


@dataclass
class TuneState(Reader):
    """Where a tune stands after the tokens fed so far (time and pitch: reader.py), and what is wrong
    with it so far, as the checker judges it. Durations are in TICKS per whole note."""

    anacrusis: int | Fraction | None = None
    after_broken: bool = False
    lengthened: bool = False  # the last note already has its length token
    partner: Fraction | None = None  # broken rhythm: the written length the next note must have
    must_length: Fraction | None = None  # ... and, once that note has started, what it still needs
    decorated: bool = False  # the last element has a decoration (abc2midi: no broken rhythm then)
    plain: bool = True  # the last element may take a length token and a broken rhythm (not a
    # tuplet note, not a broken rhythm's partner: abc2midi rejects both)
    grace_time: Fraction | None = None  # a closed grace group's time (abc2midi: a quarter of its
    # written length), waiting for the note it leads into
    host_need: Fraction | None = None  # that note's written length, which abc2midi wants longer than this
    slur: int = 0
    tie_to: tuple[str, str] | None = None  # letter+octave and sounding accidental a tie must reach
    last_tonic: bool = False  # the last note sounded (rests aside) is the key's tonic
    repeat_open: bool = False
    ending: bool = False  # inside a first ending, which must be closed by :|
    ending_bars: int = 0  # bars of that first ending so far
    repeated: bool = False  # a repeat has closed: a later :| goes back to it, not to the start
    second_due: bool = False  # a first ending was just closed: a second ending may start
    section_short: tuple[int | Fraction, bool] | None = None  # short bar before a section end, and whether it
    # already completes the anacrusis; the bar after it may be the pickup that completes it
    problems: list[str] = field(default_factory=list)

    # ---- feeding -------------------------------------------------------------------------------
    def feed(self, token: str) -> None:
        kind = token_kind(token)
        if kind in CUE_KINDS:  # a tokenizer's cue, not ABC: the sampler's rules read it
            return
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
        super().feed(token)

    def _problem(self, text: str, kind: str | None = None) -> None:
        self.problems.append(Problem(text, self.bars + (0 if self.anacrusis else 1), kind))

    def _short_section(self, used, bar) -> None:
        self._problem(f"{_beats(used)} before a section end where the meter wants {_beats(bar)}", SHORT_SECTION)

    def _feed_field(self, token: str) -> None:
        try:
            super()._feed_field(token)
        except (ValueError, ZeroDivisionError):
            self._problem(f"bad unit length {token[3:-1]}", "a bad unit length")

    def tonic_shift_now(self) -> int:
        """The shift the tonic's letter has at this point of the bar (an accidental, or the key)."""
        tonic, _shift, signature = key_tonic(self.key)
        carried = self.bar_accidentals.get(tonic)
        return ACCIDENTAL_SHIFT[carried] if carried else signature

    def _is_tonic(self, token: str) -> bool:
        tonic, shift, signature = key_tonic(self.key)
        if letter(token) != tonic:
            return False
        sounding = self.sounding(token)
        return (ACCIDENTAL_SHIFT[sounding] if sounding else signature) == shift

    def _continues_tie(self, token: str) -> bool:
        """The note a tie reaches: the same letter and octave, and no accidental of its own or the
        one that sounds (a tied note's accidental carries over, as in abc2midi)."""
        if token == "z" or pitch_key(token) != self.tie_to[0]:
            return False
        return not accidental(token) or accidental(token) == self.tie_to[1]

    def _feed_note(self, token: str) -> None:
        if self.tie_to is not None and self.chord < 0 and not self._continues_tie(token):
            self._problem(f"tie to {token}, not to the same pitch", "a tie to another pitch")
        if token != "z" and self.grace < 0 and self.chord <= 0:
            self.last_tonic = self._is_tonic(token)
        super()._feed_note(token)

    _feed_rest = _feed_note

    def _start_element(self, scale: int | Fraction) -> None:
        super()._start_element(scale)
        self.tie_to = None
        self.after_broken = False
        self.lengthened = False
        self.plain = self.partner is None and self.tuplet_left == 0
        self.decorated = self.last == "deco"
        self.must_length, self.partner = self.partner, None
        if self.grace_time is not None:  # this element is the grace notes' host
            self.host_need, self.grace_time = self.grace_time / self.next_factor, None

    def _feed_length(self, token: str) -> None:
        if self.grace < 0 and self.last in ("note", "rest", "chord_close") and not self.chord > 1:
            value = parse_length(token)
            self.lengthened = True
            if self.must_length is not None:
                if value != self.must_length:
                    self._problem("broken rhythm between notes of different lengths")
                self.must_length = None
        super()._feed_length(token)

    def _feed_broken(self, token: str) -> None:
        if self.host_need is not None:
            self._judge_grace_host(self.written * (1 + BROKEN_SHIFT[token]))
        super()._feed_broken(token)
        self.after_broken = True
        self.partner = self.written

    def _feed_tie(self, token: str) -> None:
        if self.last_note is None:
            self._problem("a tie after no note")
        elif self.decorated:
            self._problem("a tie from a decorated note (abc2midi cannot follow it)")
        held = self.held.get(note_key(self.last_note)) if self.last_note else None
        self.tie_to = (pitch_key(self.last_note), held or "") if self.last_note else None
        super()._feed_tie(token)

    def _feed_tuplet(self, token: str) -> None:
        if tuplet_ratio(token, self.compound) is None:
            self._problem(f"bad tuplet {token}", "a bad tuplet")
        super()._feed_tuplet(token)

    def _feed_chord_open(self, token: str) -> None:
        if self.chord >= 0:
            self._problem("a chord inside a chord")
        super()._feed_chord_open(token)

    def _feed_chord_close(self, token: str) -> None:
        if self.chord <= 0:
            self._problem("a chord with no notes")
        super()._feed_chord_close(token)

    def _feed_grace_close(self, token: str) -> None:
        super()._feed_grace_close(token)
        self.grace_time = self.grace_units / 4

    def _judge_grace_host(self, written: Fraction) -> None:
        """The grace notes' host is written (`written` long): the checker lets abc2midi cut a group
        off that is too long for it (a hook of the sampler's rules)."""
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
            self._problem(f"a bar line right after a {self.last}", "a bar line right after an unfinished sign")
        if used > 0:
            if bar is not None and used != bar:
                self._check_short_bar(token, used, bar)
            elif self.section_short is not None:
                short, justified = self.section_short
                if not justified:
                    self._short_section(short, bar)
                else:
                    self._full_bar_after_section()
                self.section_short = None
        super()._feed_bar(token)  # the bar counted, its time and accidentals let go
        if used > 0:
            self.ending_bars += self.ending
        if self.tie_to is not None and token != "|":
            self._problem("a tie across a repeat or section line")
        self.second_due = token in (":|", "::") and self.ending
        if token in (":|", "::"):
            self.repeated = True
            self.repeat_open = token == "::"
            self.ending = False
        elif token == "|:":
            if self.repeat_open:
                self._problem("a repeat opened twice")
            self.repeat_open = True

    def _full_bar_after_section(self) -> None:
        """A full bar follows a section's short last bar that the anacrusis completed (a hook)."""

    def _pickup_completes(self, token: str) -> bool:
        """A short bar completes the section's short last bar before it: the pickup into the next
        section, which the checker accepts (a hook: the sampler's rules decide where it goes)."""
        return True

    def _back_to_pickup(self) -> bool:
        """Whether this part's :| goes back to its own pickup, not to a repeat (a hook)."""
        return False

    def _ends_short_section(self, token: str) -> bool:
        """Whether `token` may close a short bar that the next pickup will complete (a hook)."""
        return token in SECTION_ENDS

    def _replays_anacrusis(self, short_by: int | Fraction) -> None:
        """A repeat to the start closes a bar the anacrusis completes, `short_by` short (a hook)."""

    def _check_short_bar(self, token: str, used: int | Fraction, bar: int | Fraction) -> None:
        """A short bar is fine as the anacrusis, as the bar that completes it at the end, and (for
        the checker) as a section's last bar whose rest is the next pickup."""
        pending, self.section_short = self.section_short, None
        if used < bar and self.bars == 0 and self.anacrusis is None:
            self.anacrusis = used
            return
        if used < bar and pending is not None and used + pending[0] == bar and self._pickup_completes(token):
            return
        if pending is not None and not pending[1]:
            self._short_section(pending[0], bar)
        completes = self.anacrusis is not None and used + self.anacrusis == bar
        # replays the anacrusis (a repeat to the start), or the pickup the part's |: came before
        to_start = token == ":|" and (not self.repeated and not self.repeat_open or self._back_to_pickup())
        if used < bar and completes and (token == "|]" or to_start or self._ends_short_section(token)):
            self.section_short = (used, True)
            if to_start:
                self._replays_anacrusis(bar - used)
            return
        if used < bar and self._ends_short_section(token):
            self.section_short = (used, False)  # judged by the bar that follows: is it the pickup?
            return
        self._problem(f"{_beats(used)} where the meter wants {_beats(bar)}", "a bar longer or shorter than the meter")

    def close(self) -> list[str]:
        """Problems of the whole tune, once it has ended."""
        if self.used == 0 and self.section_short is not None:
            self.section_short = None  # a short last bar is allowed
        if self.host_need is not None:
            self._judge_grace_host(self.written)
        if self.bar is not None and self.used > self.bar:
            self._problem(
                f"the last bar has {_beats(self.used)} where the meter wants {_beats(self.bar)}",
                "the last bar longer than the meter",
            )
        if self.tie_to is not None:
            self.problems.append(Problem("the tune ends on a tie"))
        if self.repeat_open:
            self.problems.append(Problem("a repeat opened and never closed"))
        if self.tuplet_left > 0 or self.chord >= 0 or self.grace >= 0:
            self.problems.append(Problem("the tune ends inside a tuplet, chord or grace notes"))
        if self.last in ("tuplet", "deco", "broken"):
            self.problems.append(
                Problem(f"the tune ends on a dangling {self.last}", kind="the tune ends on a dangling sign")
            )
        return self.problems


def _beats(value: int | Fraction) -> str:
    return f"{Fraction(value) / TICKS} of a whole note"


def check_tokens(tokens: list[str], complete: bool = True, state: TuneState | None = None) -> list[str]:
    """Problems of a tune given as abc tokens, as `state` judges them (the checker's by default);
    an empty list means every bar is full. A tune that is not `complete` (a primer the model will
    carry on) may end anywhere: only what is already wrong counts."""
    state = state if state is not None else TuneState()
    for token in tokens:
        state.feed(token)
    return state.close() if complete else state.problems
