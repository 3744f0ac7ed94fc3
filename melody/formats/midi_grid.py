"""Where a MIDI file's beat grid and bar lines really are, found from its notes.

Files as people have them start after a lead-in that is not a whole beat, declare a meter the
music does not have (1/4 or 2/4 over music in 4/4) or none, and some are played freely, on no grid
at all. This finds, from onsets in beats (ticks / ticks per quarter):

- the grid's phase: the shift that puts most onsets on the sixteenth/triplet grid, and among
  equally good shifts the one that puts the most note time on the beat;
- the grid fit: the share of onsets within `TOLERANCE` of that grid (a performance: well under 0.9);
- the meter and the first bar line: the bar length (3 or 4 beats) and offset at which long notes
  fall on the bar's first beat. Duple music is written 4/4 unless 2/4 (or 2/2) is declared; the
  reader then keeps 2/4 only where accents mark every second beat. A declared compound or odd
  meter the music does not contradict is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE = 1 / 96  # beats: about 5 ms at 120 bpm; played notes are off by more, written ones by a tick
GRID_POINTS = np.array([0, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4, 1])  # sixteenths and eighth triplets
FITS_GRID = 0.9  # a file whose onsets fit the grid less than this is a performance
TRIPLE_MARGIN = 1.25  # how much heavier a bar start every three beats must be than every two
CLEARLY_HEAVIER = 1.25  # how much more weight moves the grid or a bar line off the file's own
HEAVIER_THIRD = 4.0  # a first bar line two beats on (a pickup of 2 or 3) needs this much more weight
MAX_ONSETS = 6000  # enough to decide; a long file is sampled evenly


@dataclass(frozen=True)
class Grid:
    phase: float  # beats: where the grid's beats fall, 0 <= phase < 1
    fit: float  # share of onsets on the sixteenth/triplet grid at that phase
    meter: tuple[int, int]
    first_bar: float  # beats after the phase where the first bar line falls, 0 <= first_bar < bar
    evidence: str  # how the meter was decided, for `melody corpus`
    own: bool = False  # the file's own grid and bar lines: no lead-in to take off


def on_grid(piece) -> bool:
    """Whether a piece's notes sit on a beat grid (ABC always; a MIDI file as its reader found it)."""
    fit = (getattr(piece, "reading", None) or {}).get("grid_fit")  # notation (ABC, MusicXML) has none
    return fit is None or fit >= FITS_GRID


def grid_fit(onsets: np.ndarray, phase: float) -> float:
    """Share of onsets (beats) within TOLERANCE of the sixteenth/triplet grid shifted by `phase`."""
    if onsets.size == 0:
        return 1.0
    inside = (onsets - phase) % 1.0
    distance = np.abs(inside[:, None] - GRID_POINTS[None, :]).min(axis=1)
    return float((distance <= TOLERANCE).mean())


def find_phase(onsets: np.ndarray, durations: np.ndarray, own: float | None = None) -> tuple[float, float]:
    """(phase, fit): the best grid shift, tried at every onset's place inside its beat. `own`: the
    file's own grid (a file with a meter we believe), kept whenever it fits as well as any."""
    if onsets.size == 0:
        return 0.0, 1.0
    candidates = np.unique(np.round(onsets % 1.0, 3))
    if candidates.size > 200:  # a free performance: try the most common places only
        values, counts = np.unique(np.round(onsets % 1.0, 2), return_counts=True)
        candidates = values[np.argsort(-counts)[:200]]
    fits = np.array([grid_fit(onsets, phase) for phase in candidates])
    good = candidates[fits >= fits.max() - 0.02]
    if own is not None and np.isclose(good, own).any():
        return own, float(fits.max())

    def on_beat_weight(phase: float) -> float:
        inside = (onsets - phase) % 1.0
        near = np.minimum(inside, 1 - inside) <= TOLERANCE
        return float(np.minimum(durations, 4.0)[near].sum())

    weights = {float(phase): on_beat_weight(phase) for phase in good}
    heaviest = max(weights.values())
    # in 6/8 every eighth is as good a beat as the next: the file's own grid unless clearly worse
    phase = min(phase for phase, weight in weights.items() if weight * CLEARLY_HEAVIER >= heaviest)
    return float(phase % 1.0), float(fits.max())


def beat_weights(onsets: np.ndarray, durations: np.ndarray, drums: np.ndarray) -> np.ndarray:
    """Per beat (onsets already shifted by the phase): how much says "a bar starts here": the
    squared length of the tonal notes that start on it (cadences and held chords fall on strong
    beats; passing notes on weak ones)."""
    beats = int(np.ceil(onsets.max() + 1e-9)) + 1 if onsets.size else 1
    weights = np.zeros(beats)
    on_beat = (np.abs(onsets - np.round(onsets)) <= TOLERANCE) & ~drums
    np.add.at(weights, np.round(onsets[on_beat]).astype(int), np.minimum(durations[on_beat], 4.0) ** 2)
    return weights


def bar_strength(weights: np.ndarray, beats_per_bar: int) -> list[float]:
    """Per offset: how much heavier the beats at that place in a bar are than the average beat."""
    mean = weights.mean() or 1.0
    return [float(weights[offset::beats_per_bar].mean() / mean) for offset in range(beats_per_bar)]


def first_bar_line(weights: np.ndarray, beats_per_bar: int) -> int:
    """The offset of the first bar line: the heavier parity of beats (strong beats hold the long
    notes), then in 4/4 the shorter pickup unless beat three is much the heavier."""
    pairs = bar_strength(weights, 2)
    parity = int(pairs[1] > pairs[0])
    if beats_per_bar != 4:  # the file's own bar lines unless another place is clearly heavier
        strengths = bar_strength(weights, beats_per_bar)
        best = int(np.argmax(strengths))
        return best if strengths[best] > CLEARLY_HEAVIER * strengths[0] else 0
    fours = bar_strength(weights, 4)
    return parity + 2 if fours[parity + 2] > HEAVIER_THIRD * fours[parity] else parity


def find_grid(
    onsets: np.ndarray,
    durations: np.ndarray,
    pitches: np.ndarray,
    drums: np.ndarray,
    declared: tuple[int, int] | None,
    pickup: float | None = None,
) -> Grid:
    """The grid, meter and first bar line of notes given in beats from the file's start. `pickup`:
    the length of a first bar the file declares in a meter of its own; its beats fall after it."""
    if onsets.size > MAX_ONSETS:
        keep = np.linspace(0, onsets.size - 1, MAX_ONSETS).astype(int)
        onsets, durations, pitches, drums = onsets[keep], durations[keep], pitches[keep], drums[keep]
    believable = declared is not None and declared[0] > 1  # a bar of one beat is no meter (1/4, 1/8)
    own = (pickup or 0.0) % 1.0 if believable else None
    phase, fit = find_phase(onsets, durations, own)
    if onsets.size < 8 or fit < FITS_GRID:
        if believable:
            return Grid(own, fit, declared, pickup or 0.0, "as declared", own=True)
        return Grid(phase, fit, (4, 4), 0.0, "too few notes on a grid to tell: 4/4")
    weights = beat_weights(onsets - phase, durations, drums)
    if believable:  # the file's word: rhythm alone misreads about 1 in 20 folk tunes in two as in three
        meter, evidence = declared, "as declared"
    elif max(bar_strength(weights, 3)) > TRIPLE_MARGIN * max(bar_strength(weights, 2)):
        meter, evidence = (3, 4), "long notes every 3 beats"
    else:
        meter, evidence = (4, 4), "long notes every 2 or 4 beats"
    bar = 4 * meter[0] / meter[1]
    if own is not None and phase == own:
        first_bar = pickup or 0.0  # the file's own bar lines (where it has no pickup bar, accents may move them)
    elif bar != round(bar) or bar < 2:
        first_bar = 0.0  # bars that are not whole beats (3/8, 5/8): the file's own lines
    elif bar in (2, 4):
        first_bar = float(first_bar_line(weights, 4) % bar)
    else:  # a lead-in off the file's grid: its bar lines were never written by hand
        first_bar = float(first_bar_line(weights, round(bar)))
    return Grid(phase, fit, meter, first_bar, evidence, own=own is not None and phase == own)
