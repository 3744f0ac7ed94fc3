"""What a model learns of its training corpus besides the weights, measured where the corpus is read:
a title model, the forms its tunes take, the pitch classes of each key, the layout of voices and
their registers, how long a performance's notes sound. Stored in the model file, which the sampler
reads them from (it never imports this module: training and sampling stand apart)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from melody.tokenizers.base import Tokenizer


def kept_statistics(pieces: list, tokenizer: Tokenizer) -> dict:
    """Each statistic of STATISTICS, measured on the training `pieces` where the tokenizer's model
    keeps it (`Tokenizer.statistics`), else None."""
    return {
        name: measure(pieces, tokenizer) if name in tokenizer.statistics else None
        for name, measure in STATISTICS.items()
    }


def training_bars(pieces: list, tokenizer: Tokenizer) -> dict | None:
    """The training tunes' bars as hashes (formats/abc/copies.py): what a sampled tune must not copy."""
    from melody.formats.abc.copies import pack_bars

    return pack_bars(pieces)


def title_model(pieces: list, tokenizer: Tokenizer | None = None) -> dict | None:
    """The title model (titles.py) of ABC pieces' titles and types, as a dict."""
    from melody.formats.abc.text import header_fields
    from melody.music.titles import TitleModel

    fields = [header_fields(piece) for piece in pieces]
    model = TitleModel.fit([(found.get("T", ""), found.get("R")) for found in fields])
    return model.to_dict() if model else None


def forms_of(pieces: list, tokenizer: Tokenizer) -> dict | None:
    """The training tunes' forms per type (formats/abc/form.py): the sampler draws each tune's form
    from them when none is asked for."""
    from melody.formats.abc.form import form_table
    from melody.formats.abc.lexer import tune_tokens

    return form_table([tune_tokens(piece, tokenizer.decorations) for piece in pieces])


def pitch_class_shares(scores: list, key_of) -> dict[str, list[float]] | None:
    """Per mode ("major", "minor"), the share of note time on each pitch class relative to the
    tonic, over pieces whose key `key_of(score)` gives as (tonic pitch class, mode)."""
    from melody.music.theory import tonal_notes

    totals = {"major": np.zeros(12), "minor": np.zeros(12)}
    for score in scores:
        tonic, mode = key_of(score)
        table, tonal = score.table, tonal_notes(score)
        lengths = (table.end - table.start)[tonal]
        totals[mode] += np.bincount((table.pitch[tonal] - tonic) % 12, weights=lengths, minlength=12)
    return {mode: (row / (row.sum() or 1.0)).tolist() for mode, row in totals.items()} if scores else None


def key_pitch_classes(pieces: list, tokenizer: Tokenizer) -> dict | None:
    """For event models with key tokens: the training pieces' pitch classes relative to their key,
    per mode (sampling/event_mask.py), which the sampler keeps to."""
    return pitch_class_shares(pieces, tokenizer.key_of_score)


NAME_SHARE = 0.25  # a track name the layout keeps names its voice in at least this share of the pieces


def voice_layout(scores: list, tokenizer: Tokenizer | None = None) -> dict | None:
    """What an event model's pieces should look like (sampling/event_mask.py): the corpus's most common
    layout of voices in the tokenizer's role order (role, program and track name of each: the
    corpus's own name for the voice where many pieces share it, else its role), and the
    register of each role (its pitches' 2nd to 98th percentile; for drums, the sounds used)."""

    from melody.music.roles import by_role

    layouts, names, pitches = Counter(), {}, {}
    for score in scores:
        score = by_role(score)
        roles = score.roles
        layouts[tuple(zip(roles, score.programs))] += 1
        for voice, role in enumerate(roles):
            names.setdefault((role, roles[:voice].count(role)), Counter())[score.voice_name(voice)] += 1
        table = score.table
        for voice, role in enumerate(roles):
            pitches.setdefault(role, []).append(table.pitch[table.voice == voice])
    if not layouts:
        return None
    ((layout, count),) = layouts.most_common(1)
    voices = []
    for voice, (role, program) in enumerate(layout):
        found = names.get((role, [r for r, _ in layout][:voice].count(role)), Counter())
        shared = [n for n, times in found.most_common() if n and times >= NAME_SHARE * len(scores)]
        voices.append({"role": role, "program": int(program), "name": shared[0] if shared else role})
    pitches = {role: np.concatenate(found) for role, found in pitches.items()}
    registers = {
        role: np.unique(found).tolist() if role == "drums" else [int(np.percentile(found, q)) for q in (2, 98)]
        for role, found in pitches.items()
        if found.size
    }
    return {"layout": voices, "share": round(count / len(scores), 3), "registers": registers}


LONGEST_USUAL = 99.5  # percentile of sounding durations (and of notes sounding together) a performance keeps to


def sounding_limits(scores: list, tokenizer: Tokenizer) -> dict | None:
    """For performance models (played, no beat grid): how long a note of the corpus sounds at most,
    as usual (the 99.5th percentile, in the tokenizer's time steps), and how many notes sound together
    at most (the same percentile, at onsets): what the sampler holds its pieces to (performance_mask.py)."""
    if not scores:
        return None
    lengths, together = [], []
    for score in scores:
        steps = np.array([(start, end) for start, end, *_rest in tokenizer._steps(score)], dtype=np.int64)
        if not steps.size:
            continue
        starts, ends = np.sort(steps[:, 0]), np.sort(steps[:, 1])
        onsets = np.unique(starts)
        together.append(np.searchsorted(starts, onsets, side="right") - np.searchsorted(ends, onsets, side="right"))
        lengths.append(steps[:, 1] - steps[:, 0])
    if not lengths:
        return None
    return {
        "longest_steps": int(np.percentile(np.concatenate(lengths), LONGEST_USUAL)),
        "most_sounding": int(np.percentile(np.concatenate(together), LONGEST_USUAL)),
    }


STATISTICS = {  # what a model file can keep of its corpus, by the names Tokenizer.statistics uses
    "training_bars": training_bars,
    "titles": title_model,
    "forms": forms_of,
    "pitch_classes": key_pitch_classes,
    "voices": voice_layout,
    "sounding": sounding_limits,
}
