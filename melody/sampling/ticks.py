"""Times as the abc mask reads them: the reader's exact ticks (ints, Fractions where a tuplet leaves
one), never floats compared with a tolerance."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def as_float(value: Fraction | None) -> float | None:
    """Mask keys hold ratios as floats: a Fraction's hash costs ~3 us, a float's almost nothing,
    and distinct musical ratios never round to the same float (a key, not a comparison)."""
    return None if value is None else value.numerator / value.denominator


def whole(value):
    """An exact time as an int where it is whole: int arithmetic is what the mask does most."""
    return value.numerator if isinstance(value, Fraction) and value.denominator == 1 else value


class ExactTimes:
    """A note's time with each of some lengths (in units), for a note whose unit takes `scale`
    ticks: exact, ints where they come out whole, cached per scale."""

    def __init__(self, lengths: np.ndarray):
        self.lengths = lengths
        self._cache: dict = {}

    def __call__(self, scale, lengths: np.ndarray | None = None) -> np.ndarray:
        key = (scale, lengths is None)
        found = self._cache.get(key)
        if found is None:
            times = [scale * length for length in (self.lengths if lengths is None else lengths)]
            exact = all(Fraction(t).denominator == 1 for t in times)
            found = np.array([int(t) for t in times], dtype=np.int64) if exact else np.array(times, dtype=object)
            self._cache[key] = found
        return found
