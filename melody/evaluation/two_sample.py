"""Can a simple classifier tell a model's tunes from real ones? The two-sample figure `evaluate` shows.

Each tune becomes a few plain features of what it plays: pitch classes against the key's tonic,
melodic intervals, the time between onsets in beats, range, length, whether it ends on the tonic and
whether it plays whole 8-bar phrases. A logistic regression learns to tell the two sets apart and is
scored by cross-validation: 0.5 means it cannot (the sets look alike in these features), 1.0 that it
always can. Its floor is the same figure for two halves of the real tunes (real against real).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from melody.formats.abc.form import tune_form
from melody.formats.abc.lexer import LexError, tune_tokens
from melody.formats.abc.player import player_notes
from melody.music.theory import tonic_pitch_class

INTERVALS = 12  # |steps| up to an octave, each way: 25 bins
ONSET_GAPS = (0.2, 0.3, 0.4, 0.6, 0.8, 1.1, 1.6, 2.1, 3.1)  # bin edges, in quarter-note beats
Notes = list[tuple[Fraction, int]]  # (onset in quarter-note beats, MIDI pitch), sorted


def tune_features(text: str, notes_of: Callable[[str], Notes | None] = player_notes) -> np.ndarray | None:
    """The features of one canonical tune, its notes as `notes_of` plays them (our player, or
    abc2midi's MIDI); None when it cannot be read or plays fewer than two notes."""
    try:
        tokens = tune_tokens(text)
        notes = notes_of(text)
    except (LexError, ValueError):
        return None
    key = next((token[2:] for token in tokens if token.startswith("K:")), "C")
    if not notes or len(notes) < 2:
        return None
    pitches = np.array([pitch for _, pitch in notes])
    onsets = np.array([float(onset) for onset, _ in notes])
    classes = np.bincount((pitches - tonic_pitch_class(key)) % 12, minlength=12) / len(pitches)
    steps = np.clip(np.diff(pitches), -INTERVALS, INTERVALS) + INTERVALS
    intervals = np.bincount(steps, minlength=2 * INTERVALS + 1) / len(steps)
    gaps = np.diff(onsets)
    gaps = gaps[gaps > 1e-6]
    durations = np.bincount(np.searchsorted(ONSET_GAPS, gaps), minlength=len(ONSET_GAPS) + 1) / max(1, len(gaps))
    form = tune_form(tokens)
    shape = [np.ptp(pitches) / 24, np.log(len(pitches)) / 6, bool(form.final_tonic), form.whole_8_bar_phrases]
    return np.concatenate([classes, intervals, durations, np.array(shape, dtype=float)])


def cross_validated_accuracy(a: np.ndarray, b: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """Accuracy of an L2-regularised logistic regression telling rows of `a` from rows of `b`,
    cross-validated in `folds` folds with both sets cut to the same size (chance is then 0.5)."""
    rng = np.random.default_rng(seed)
    size = min(len(a), len(b))
    if size < folds:
        raise ValueError(f"two-sample figure: {size} tunes in the smaller set, at least {folds} needed")
    a, b = a[rng.permutation(len(a))[:size]], b[rng.permutation(len(b))[:size]]
    x = np.vstack([a, b])
    y = np.concatenate([np.zeros(size), np.ones(size)])
    order = rng.permutation(len(y))
    right = 0
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        weights, mean, scale = _fit(x[train], y[train])
        predicted = ((x[test] - mean) / scale) @ weights[:-1] + weights[-1] > 0
        right += int((predicted == y[test]).sum())
    return right / len(y)


def _fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logistic regression by Newton's method on standardised features: (weights and bias, mean, scale)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    weights = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the bias goes free
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ weights)))
        gradient = z.T @ (p - y) + penalty @ weights
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        weights -= np.linalg.solve(hessian, gradient)
    return weights, mean, scale


def two_sample(
    generated: list[str], real: list[str], seed: int = 0, notes_of: Callable[[str], Notes | None] = player_notes
) -> dict:
    """How well the classifier tells `generated` tunes from `real` ones, and its floor: two random
    halves of `real` told apart the same way. Tunes that cannot be read are left out and counted."""
    fake = [f for f in (tune_features(t, notes_of) for t in generated) if f is not None]
    true = [f for f in (tune_features(t, notes_of) for t in real) if f is not None]
    result = {"generated": len(fake), "real": len(true), "unread": len(generated) + len(real) - len(fake) - len(true)}
    if min(len(fake), len(true)) < 10:
        return result | {"accuracy": None, "floor": None}
    shuffled = true[:]
    random.Random(seed).shuffle(shuffled)
    half = len(shuffled) // 2
    result["accuracy"] = cross_validated_accuracy(np.array(fake), np.array(true), seed=seed)
    result["floor"] = cross_validated_accuracy(np.array(shuffled[:half]), np.array(shuffled[half:]), seed=seed)
    return result
