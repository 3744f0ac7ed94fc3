"""The sampler's form rules that read only a tune's state (formats/abc/state.py): where the part
stands, how much of its bar is left (an anacrusis given back), which bar lines may close it,
whether its last bar must end on the tonic and how long it holds it. sampling/abc_mask.py turns
them into the mask; these are the cache key's form part and the bar lines a form allows."""

from __future__ import annotations

from fractions import Fraction

from melody.music.theory import key_tonic
from melody.sampling.tune_rules import StrictTune


def room_left(state: StrictTune) -> int | Fraction | None:
    """Time left in the current bar (negative when overfull), or in the pickup that is due, or
    before the ``:|`` that closes a part by going back to the anacrusis, or before the tune's end
    that gives the anacrusis back; None in free meter."""
    if state.pickup_due is not None:
        return state.pickup_due - state.used
    if state.bar is None:
        return None
    return state.bar - state.used - (state.anacrusis if closes_to_start(state) or gives_back_now(state) else 0)


def closes_to_start(state: StrictTune) -> bool:
    """Strict, with a form: this bar ends a repeated part with ``:|`` back to the start (a first part)
    or to the pickup its ``|:`` came before, so it is short by the anacrusis, which completes it
    when played again."""
    return (
        state.form is not None
        and state.part_need() == 1
        and bool(state.anacrusis)
        and (not state.repeat_open and not state.repeated or state.pickup_inside)
        and state.form.sections[state.section][1]
    )


def gives_back_now(state: StrictTune) -> bool:
    """Strict, with a form that asks for it (FormPlan.give_back): this is the tune's last bar, closed
    by ``|]``, and it is short by the anacrusis. (A repeated last part keeps its full bar: abc2midi
    warns of a short bar before ``:|`` that no pickup completes.)"""
    return (
        state.form is not None
        and state.form.give_back
        and bool(state.anacrusis)
        and state.section == len(state.form.sections) - 1
        and not state.form.sections[-1][1]
        and state.part_need() == 1
    )


def form_key(s: StrictTune) -> tuple | None:
    """What the form rules read: where the part stands, how it must close, the tonic."""
    if s.form is None:
        return None
    need = s.part_need()
    sections = s.form.sections
    following = sections[s.section + 1][1] if s.section + 1 < len(sections) else None
    return (
        s.form,
        s.form_done,
        min(need, 2),
        s.part_bars_done == 0,
        s.section < len(sections) and sections[s.section][1],
        following,
        closes_to_start(s),
        s.bar is not None and s.anacrusis == s.bar - s.used,
        s.last_tonic,
        key_tonic(s.key)[:2],
        s.tonic_shift_now(),
    )


def pickup_inside_due(s: StrictTune) -> bool:
    """A form that gives the anacrusis back, right after a part's :| to the start: the next part,
    repeated, opens with |: and then its pickup (as most books write it), so that its own :| goes
    back to the pickup and the tune as played is whole bars."""
    return (
        s.form is not None
        and s.form.give_back
        and s.pickup_due is not None
        and s.last == "bar"
        and not s.repeat_open
        and s.section < len(s.form.sections)
        and s.form.sections[s.section][1]
    )


def cadence_bar(s: StrictTune) -> bool:
    """Whether this is the last bar of a part that must close on the tonic."""
    return s.form is not None and s.form.cadence and s.part_need() == 1 and s.pickup_due is None and s.bar is not None


def cadence_hold(s: StrictTune) -> int | Fraction:
    """How long a part's closing tonic sounds at least (the plan's units, held to a bar unless a
    unit is longer), in ticks."""
    hold = min(s.unit * s.form.last_units, max(s.unit, s.bar))
    return hold.numerator if hold.denominator == 1 else hold


def form_bars(s: StrictTune, allowed: set[str], counted: bool) -> set[str]:
    """The bar lines a form allows: inside a part a plain bar line, at its end the part's own
    close (``:|`` for a repeated part, ``||`` before the next, ``|]`` at the tune's end), and
    only after the tonic when the form asks for a cadence."""
    sections = s.form.sections
    repeated = sections[s.section][1]
    if not counted:  # the anacrusis or a pickup: not a bar of the part
        return allowed if repeated else allowed - {"|:"}
    if s.part_need() > 1:
        return allowed & {"|"}
    following = sections[s.section + 1][1] if s.section + 1 < len(sections) else None
    if repeated:
        ends = {":|", "::"} if following else {":|"}
    else:
        ends = {"||"} if following is not None else {"|]"}
    if s.form.cadence and not s.last_tonic:
        return set()
    return allowed & ends
