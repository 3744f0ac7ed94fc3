"""The form of a tune: its parts, their length in bars, the length played, and the note it ends on;
how a tune misses a form it was asked for (music/tunes.py's `FormPlan`), and a corpus's forms.

A part is a section between repeat and double bars. Bars are counted as a musician counts them: a
full bar is one, the anacrusis and the pickup into a part are not bars, the short last bar that
the pickup completes is one, and a second ending is not counted again. A part "closes on the tonic"
when its last note is the tonic of the key, or the final of its mode (``K:Ador``: A).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from melody.formats.abc.lexer import token_kind, tune_type
from melody.formats.abc.reader import Reader
from melody.formats.abc.syntax import CUE_PREFIX, LAST_BAR_CUE, PART_LETTERS, SECTION_ENDS
from melody.music.theory import (
    tonic_pitch_class,
)
from melody.music.tunes import FormPlan


@dataclass(frozen=True)
class TuneForm:
    """What `tune_form` measures of one tune."""

    parts: tuple[float, ...]  # bars of each part
    repeated: tuple[bool, ...]
    final_tonic: bool | None  # None: no note

    @property
    def played_bars(self) -> float:
        return sum(bars * (2 if again else 1) for bars, again in zip(self.parts, self.repeated))

    @property
    def whole_phrases(self) -> bool:
        """Every part is a whole number of 4-bar phrases."""
        return bool(self.parts) and all(_whole(bars, 4) for bars in self.parts)

    @property
    def whole_8_bar_phrases(self) -> bool:
        """The tune as played is a whole number of 8-bar phrases."""
        return _whole(self.played_bars, 8)

    @property
    def name(self) -> str:
        """``AABB``, ``AB``, ``AAB``...: a letter per part, twice when it repeats."""
        return "".join(chr(65 + i) * (2 if again else 1) for i, again in enumerate(self.repeated[:26]))


def _whole(bars: float, phrase: int) -> bool:
    return bars >= phrase and abs(bars / phrase - round(bars / phrase)) < 1e-9


def tune_form(tokens: list[str]) -> TuneForm:
    """Parts, their bars and the final note of a tune given as abc tokens (see the module doc)."""
    return _read_parts(tokens)[0]


def _read_parts(tokens: list[str]) -> tuple[TuneForm, list[tuple[int, list[int]]]]:
    """The tune's form, and where each part sits in `tokens`: the index its first token has, and
    the indices of the bar lines that close its counted bars."""
    reader = Reader()
    spans: list[tuple[int, list[int]]] = []
    start, closings = None, []  # the open part's first index and its counted bars' bar lines
    parts: list[float] = []
    repeated: list[bool] = []
    full = short = 0.0  # the open part's full bars, and its short bars (in bars)
    leading = True  # no full bar yet in this part: a short bar now is a pickup
    ending, first_ending_bars, second_ending_bars = None, 0, 0  # ending: None, "first" or "second"
    final = None  # the last note's pitch class and the key it sounds in

    def close(again: bool, index: int) -> None:
        nonlocal full, short, leading, start, closings
        if full or short:
            parts.append(full + short)
            repeated.append(again)
            spans.append((start, closings))
            start, closings = None, []
        full = short = 0.0
        leading = True

    ends_open = bool(tokens) and token_kind(tokens[-1]) != "bar"
    for index, token in enumerate(list(tokens) + (["|]"] if ends_open else [])):  # ends with a bar line
        kind = token_kind(token)
        if start is None and kind not in ("header", "part", "register", "ending") and ending != "second":
            start = index
        if kind == "ending":
            ending = "first" if token.startswith("[1") else "second"
            first_ending_bars = 0 if ending == "first" else first_ending_bars
            second_ending_bars = 0
        elif kind == "bar":
            if reader.used > 0 and ending == "second":  # played instead of the first: not counted again
                second_ending_bars += 1
                if second_ending_bars >= first_ending_bars:
                    ending = None
            elif reader.used > 0:
                if reader.bar is None or reader.used >= reader.bar:
                    full, leading = full + 1, False
                    closings.append(index)
                elif not leading or token in SECTION_ENDS:
                    short += 1  # a short last bar: the next pickup (or the anacrusis) completes it
                    closings.append(index)
                first_ending_bars += ending == "first"
            if token in SECTION_ENDS:
                close(token in (":|", "::"), index)
                ending = None
            elif token == "|:":
                ending = None
                if full:
                    close(False, index)
        elements = reader.elements
        reader.feed(token)
        if reader.elements != elements and reader.last_note is not None:
            final = (reader.last_pitch % 12, reader.key)
    close(False, len(tokens))
    final_tonic = None if final is None else final[0] == tonic_pitch_class(final[1])
    return TuneForm(tuple(parts), tuple(repeated), final_tonic), spans


def with_part_cues(tokens: list[str]) -> list[str]:
    """`tokens` with the cues of their form (syntax.CUE_PREFIX): each part opens with its letter,
    a part whose first bar is an earlier part's taking that part's letter (a returning A), and
    its last bar opens with ``P:|``, so a model learns where parts end and what comes back."""
    _form, spans = _read_parts(tokens)
    cues: dict[int, list[str]] = {}  # token index -> cues that go before it
    first_bars: list[tuple[str, ...]] = []  # each new letter's first bar
    for start, closings in spans:
        first_end = closings[0] if closings else start
        bar_lines = [i for i in range(start, first_end) if token_kind(tokens[i]) == "bar"]
        opens = bar_lines[-1] + 1 if bar_lines else start  # after a pickup or anacrusis
        first_bar = tuple(tokens[opens:first_end])
        letter = next((PART_LETTERS[i] for i, bar in enumerate(first_bars) if bar == first_bar), None)
        if letter is None:
            letter = PART_LETTERS[min(len(first_bars), len(PART_LETTERS) - 1)]
            first_bars.append(first_bar)
        cues.setdefault(start, []).append(CUE_PREFIX + letter)
        last_opens = closings[-2] + 1 if len(closings) > 1 else start
        cues.setdefault(last_opens, []).append(LAST_BAR_CUE)
    out: list[str] = []
    for index, token in enumerate(tokens):
        out += cues.get(index, [])
        out.append(token)
    return out


def form_problems(tokens: list[str], plan: FormPlan) -> list[str]:
    """How a tune (abc tokens) misses the form it was asked for; empty when it has it."""
    form = tune_form(tokens)
    wanted = tuple(again for _letter, again in plan.sections)
    problems = []
    if form.repeated != wanted or any(bars != plan.part_bars for bars in form.parts):
        written = " ".join(f"{bars:g}{'x2' if again else ''}" for bars, again in zip(form.parts, form.repeated))
        problems.append(f"form: parts of {written or 'no'} bars where {plan.name} of {plan.part_bars} was asked")
    if plan.cadence and not form.final_tonic:
        problems.append("form: the tune does not end on the tonic")
    return problems


def gives_back(tokens: list[str]) -> bool | None:
    """Whether a tune that opens with an anacrusis gives it back, its bars as written adding up to
    whole bars (the last, or each part's last, short by it); None for a tune with no anacrusis."""
    reader, total, anacrusis = Reader(), 0, None
    for token in tokens:
        if token_kind(token) == "bar" and reader.used > 0:
            if anacrusis is None:
                anacrusis = reader.bar is not None and reader.used < reader.bar
            total += reader.used
        reader.feed(token)
    total += reader.used  # a tune that ends with no bar line
    if not anacrusis or reader.bar is None:
        return None
    return total % reader.bar == 0


def last_notes(tokens: list[str]) -> list[Fraction]:
    """The length in units of the note that closes each part (a section's last element, when a
    note), as the reader times it."""
    reader, found = Reader(), []
    ends_open = bool(tokens) and token_kind(tokens[-1]) != "bar"
    for token in list(tokens) + (["|]"] if ends_open else []):
        if token in SECTION_ENDS and reader.used > 0 and reader.last_note is not None:  # None after a rest
            found.append(Fraction(reader.element_length) / Fraction(reader.unit))
        reader.feed(token)
    return found


def form_table(token_lists: list[list[str]]) -> dict:
    """The forms of a corpus per tune type ("" for untyped tunes), as a model file keeps them so
    the sampler can draw a tune's form as the corpus has them: for each type, the plans a FormPlan
    can spell as [parts, repeated, bars per part, tunes], the tunes of any other form, the share
    that end on the tonic, the share of those opening with an anacrusis that give it back, and how
    long the note that closes a part is held ([units, parts] from a unit on)."""
    table: dict[str, dict] = {}
    for tokens in token_lists:
        form = tune_form(tokens)
        entry = table.setdefault(
            tune_type(tokens) or "",
            {"plans": {}, "other": 0, "tonic": 0, "tunes": 0, "pickups": 0, "given_back": 0, "last": Counter()},
        )
        entry["last"].update(max(Fraction(1), length) for length in last_notes(tokens))
        entry["tunes"] += 1
        entry["tonic"] += bool(form.final_tonic)
        given = gives_back(tokens)
        entry["pickups"] += given is not None
        entry["given_back"] += bool(given)
        metered = "M:none" not in tokens[:4]  # a free-meter tune's bar lines mark phrases, not bars
        uniform = metered and form.parts and len(set(form.parts)) == 1 and len(set(form.repeated)) == 1
        if uniform and form.parts[0] == int(form.parts[0]) and len(form.parts) <= 8:
            key = (len(form.parts), form.repeated[0], int(form.parts[0]))
            entry["plans"][key] = entry["plans"].get(key, 0) + 1
        else:
            entry["other"] += 1
    return {
        kind: {
            "plans": [[*key, count] for key, count in sorted(entry["plans"].items())],
            "other": entry["other"],
            "tonic": entry["tonic"] / entry["tunes"],
            "give_back": entry["given_back"] / entry["pickups"] if entry["pickups"] else 0.0,
            "last_notes": [[str(units), count] for units, count in sorted(entry["last"].items())],
        }
        for kind, entry in table.items()
    }


def draw_plan(entry: dict, rng, cadence: bool | None = None, free: bool = True) -> FormPlan | None:
    """A form for one tune, drawn as often as the corpus has it (None for the tunes of a form a plan
    cannot spell: the model then writes freely; never unless `free`); it closes on the tonic as
    often as the corpus does, unless `cadence` says, and gives an anacrusis back as often as the
    corpus does."""
    weights = [count for *_, count in entry["plans"]] + [entry["other"] if free else 0]
    choice = rng.choices(range(len(weights)), weights=weights)[0] if sum(weights) else len(weights) - 1
    if choice == len(entry["plans"]):
        return None
    parts, repeated, part_bars, _count = entry["plans"][choice]
    tonic = rng.random() < entry["tonic"] if cadence is None else cadence
    give_back = rng.random() < entry.get("give_back", 0.0)  # a model's table from before: never asked
    sections = tuple((chr(65 + i), bool(repeated)) for i in range(parts))
    return FormPlan(sections, part_bars, tonic, give_back, draw_last_units(entry, rng))


def draw_last_units(entry: dict, rng) -> Fraction:
    """How long a tune's parts hold their closing tonic, drawn as the corpus holds it (a unit for a
    model's table from before, which drew nothing)."""
    lengths = entry.get("last_notes")
    if not lengths:
        return Fraction(1)
    return Fraction(rng.choices([units for units, _ in lengths], weights=[count for _, count in lengths])[0])
