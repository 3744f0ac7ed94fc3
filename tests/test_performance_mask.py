"""Performance models let go of their notes: no note held past the corpus's longest usual sounding, no
more notes at once than the corpus sounds, no piece ended early or with a key still down."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from melody.cli.program import main
from melody.sampling.performance_mask import MIN_SECONDS, PerformanceConstraint, PerformanceState
from melody.tokenizers import make_tokenizer
from melody.tokenizers.performance import STEP_SECONDS
from tests.conftest import DATA, TINY_TRAIN_FLAGS

LIMITS = {"longest_steps": 150, "most_sounding": 3}


def _fed(tokens: list[str]) -> PerformanceState:
    state = PerformanceState()
    for token in tokens:
        state.feed(token)
    return state


def _allowed(constraint, state, vocab) -> set[str]:
    return {vocab[i] for i in np.flatnonzero(~constraint.banned(state))}


def test_a_note_struck_takes_a_usual_length_and_no_more_notes_sound_than_the_corpus_has():
    vocab = make_tokenizer("performance").vocab
    constraint = PerformanceConstraint(vocab, None, LIMITS, STEP_SECONDS)
    state = _fed(["PROGRAM_0", "ROLE_chords", "ON_60"])
    lengths = _allowed(constraint, state, vocab)
    assert lengths == {f"DUR_{d}" for d in range(1, 151)}  # up to the corpus's longest usual note
    for token in ("DUR_150", "ON_64", "DUR_20", "ON_67", "DUR_20"):
        state.feed(token)
    assert not any(token.startswith("ON_") for token in _allowed(constraint, state, vocab))  # three sound
    state.feed("SHIFT_30")  # two have ended
    assert "ON_72" in _allowed(constraint, state, vocab)


def test_a_piece_ends_no_sooner_than_twenty_seconds():
    vocab = make_tokenizer("performance").vocab
    constraint = PerformanceConstraint(vocab, None, LIMITS, STEP_SECONDS)
    state = _fed(["PROGRAM_0", "ROLE_chords", "ON_60", "DUR_50", "SHIFT_100"])
    assert "<eos>" not in _allowed(constraint, state, vocab)
    for _ in range(round(MIN_SECONDS / STEP_SECONDS / 100)):
        state.feed("SHIFT_100")
    assert "<eos>" in _allowed(constraint, state, vocab)


def test_a_note_off_model_from_before_durations_must_end_a_note_held_to_the_limit():
    from melody.tokenizers.base import SPECIALS

    vocab = list(SPECIALS) + sorted(
        [f"ON_{p}" for p in range(128)]
        + [f"OFF_{p}" for p in range(128)]
        + [f"SHIFT_{k}" for k in range(1, 101)]
        + [f"V_{i}" for i in range(8)]
        + ["PROGRAM_0", "ROLE_chords"]
    )
    constraint = PerformanceConstraint(vocab, None, LIMITS, STEP_SECONDS)
    state = _fed(["PROGRAM_0", "ROLE_chords", "ON_60", "SHIFT_100"])
    allowed = _allowed(constraint, state, vocab)
    assert "SHIFT_50" in allowed and "SHIFT_51" not in allowed and "<eos>" not in allowed
    assert {t for t in allowed if t.startswith("OFF_")} == {"OFF_60"}  # only a key that is down
    state.feed("SHIFT_50")
    assert _allowed(constraint, state, vocab) == {"OFF_60"}


@pytest.mark.slow
def test_a_performance_model_writes_pieces_within_its_corpus_limits(tmp_path, capsys):
    """Measured on the written files with pretty_midi (bench/performance_fixtures.py), not our reader."""
    import json

    sys.path.insert(0, str(DATA.parents[1] / "bench"))
    from performance_fixtures import sounding

    run, out = tmp_path / "run", tmp_path / "out"
    assert main(["train", str(DATA / "pedalled"), "--out", str(run), "--max-steps", "20", *TINY_TRAIN_FLAGS]) == 0
    capsys.readouterr()
    argv = ["generate", "--model", str(run), "-n", "3", "--seed", "2", "--out", str(out), "--max-tokens", "400"]
    assert main([*argv, "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    from melody.network.checkpoint import load_model

    measured = load_model(run).training["sounding"]
    for midi in out.glob("*.mid"):
        starts, ends, _ = sounding(midi)
        assert (ends - starts).max() <= measured["longest_steps"] * STEP_SECONDS + 0.02
        together = [((starts <= t + 1e-6) & (ends > t + 1e-6)).sum() for t in np.unique(starts)]
        assert max(together) <= measured["most_sounding"]
    assert all(piece["notes"] >= 16 for piece in written["pieces"])
