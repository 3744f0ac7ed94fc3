"""Times as the abc mask reads them: the reader's exact ticks (ints, Fractions where a tuplet leaves
one), never floats compared with a tolerance."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from melody.formats.abc.reader import ONE
from melody.formats.abc.syntax import SHORTEST_ROLLED


def as_float(value: Fraction | None) -> float | None:
    """Mask keys hold ratios as floats: a Fraction's hash costs ~3 us, a float's almost nothing,
    and distinct musical ratios never round to the same float (a key, not a comparison)."""
    return None if value is None else value.numerator / value.denominator


def whole(value):
    """An exact time as an int where it is whole: int arithmetic is what the mask does most."""
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


class NoteTimes:
    """The times the mask compares, in exact ticks (ints where whole), read once per note scale:
    a note with each length token, a host note of each length after grace notes, the shortest note
    and the shortest rolled one, each plain tuplet. `lengths`: the length tokens' factors, in units;
    `tuplets`: {tuplet id: its time in units}."""

    def __init__(self, lengths: np.ndarray, tuplets: dict[int, Fraction]):
        self.lengths, self.tuplet_units = lengths, tuplets
        self.min_length = min(min(lengths, default=ONE), ONE)
        self.host_lengths = np.array(sorted({*lengths, ONE}), dtype=object)
        self.shortest_rollable = self.host_lengths[self.host_lengths >= SHORTEST_ROLLED][0]
        self.rollable = lengths >= SHORTEST_ROLLED  # per length token
        self._cache: dict = {}

    def with_lengths(self, scale) -> np.ndarray:
        """A note's time with each length token, its unit taking `scale` ticks."""
        return self._read(("lengths", scale), lambda: _exact([scale * length for length in self.lengths]))

    def hosts(self, unit) -> np.ndarray:
        """A host note's time at each of `host_lengths`."""
        return self._read(("hosts", unit), lambda: _exact([unit * length for length in self.host_lengths]))

    def shortest(self, scale, in_tuplet: bool) -> tuple:
        """(the shortest note, the shortest rolled note) at this scale."""
        lowest = 1 if in_tuplet else self.min_length
        return self._read(
            ("shortest", scale, in_tuplet), lambda: (whole(scale * lowest), whole(scale * self.shortest_rollable))
        )

    def tuplets(self, unit) -> list[tuple[int, int]]:
        """(id, ticks) of each plain tuplet for this unit length."""
        return self._read(
            ("tuplets", unit), lambda: [(i, whole(units * unit)) for i, units in self.tuplet_units.items()]
        )

    def _read(self, key, measure):
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = measure()
        return found


def _exact(times: list) -> np.ndarray:
    if all(Fraction(t).denominator == 1 for t in times):
        return np.array([int(t) for t in times], dtype=np.int64)
    return np.array(times, dtype=object)
