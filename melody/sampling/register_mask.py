"""The register rule of the abc mask, for a model that learned register cues (formats/abc/register.py):
right after the header the lowest note's cue, then the highest's (no lower than the lowest); then
only notes that sound within them, give or take `SLACK` semitones, as the key and the bar's
accidentals so far have them.

The slack, because the model follows its cue loosely: it draws registers as the books have them
(median 14 semitones, 90th percentile 20), but reaches the highest note in only 7 tunes of 10, so
held to the cue exactly its tunes span 2 semitones less than the books' (median 12, p90 18); held
to nothing they wander over 16. Measured with `bench/tells.py` (docs/models.md)."""

from __future__ import annotations

import numpy as np

from melody.formats.abc.reader import natural_pitch
from melody.formats.abc.syntax import HIGH_CUE, LOW_CUE, cue_pitch
from melody.music.theory import ACCIDENTAL_SHIFT, LETTER_SEMITONES, key_signature
from melody.sampling.tune_rules import StrictTune

LETTERS = tuple(LETTER_SEMITONES)  # C D E F G A B
SLACK = 4  # semitones beyond the cue a note may go


class RegisterRule:
    """What the register cues allow: `letters` and `shifts` (99: none written) of each token, as the
    abc mask keeps them; `ids` its token ids by kind."""

    def __init__(
        self, vocab: list[str], ids: dict[str, np.ndarray], letters: np.ndarray, shifts: np.ndarray, slack: int = SLACK
    ):
        self.slack = slack
        registers = ids.get("register", np.zeros(0, dtype=np.int64))
        self.lows = np.array([i for i in registers if vocab[i].startswith(LOW_CUE)], dtype=np.int64)
        self.highs = np.array([i for i in registers if vocab[i].startswith(HIGH_CUE)], dtype=np.int64)
        self.high_pitches = np.array([cue_pitch(vocab[i]) for i in self.highs], dtype=np.int64)
        self.learned = bool(len(self.lows))  # the model knows the cues
        self.notes, self.size = ids.get("note", np.zeros(0, dtype=np.int64)), len(vocab)
        self.letter_index = np.array([LETTERS.index(letter) for letter in letters[self.notes]], dtype=np.int64)
        self.written = shifts[self.notes]
        self.naturals = np.array([natural_pitch(vocab[i]) for i in self.notes], dtype=np.int64)
        self._outside: dict[tuple, np.ndarray] = {}  # (key, bar's accidentals, low, high) -> notes outside
        self._cues: dict = {}  # low (None: none yet) -> (allowed, banned)

    def cue_masks(self, low: int | None, with_banned) -> tuple[np.ndarray, np.ndarray]:
        """(allowed, banned) after the header: a lowest note's cue, then a highest no lower than `low`."""
        if low not in self._cues:
            only = np.zeros(self.size, dtype=bool)
            only[self.lows if low is None else self.highs[self.high_pitches >= low]] = True
            self._cues[low] = with_banned(only)
        return self._cues[low]

    def kept(self, masks: tuple[np.ndarray, np.ndarray], s: StrictTune, with_banned) -> tuple[np.ndarray, np.ndarray]:
        """The mask's (allowed, banned) with the notes outside the tune's register ruled out, once cued."""
        if s.high is None:
            return masks
        allowed, outside = masks[0], self.outside(s)
        return with_banned(allowed & ~outside) if (allowed & outside).any() else masks

    def outside(self, s: StrictTune) -> np.ndarray:
        """(V,) True at the note tokens that would sound below the tune's lowest note or above its
        highest."""
        key = (s.key, tuple(sorted(s.bar_accidentals.items())), s.low, s.high)
        found = self._outside.get(key)
        if found is None:
            signature = key_signature(s.key)
            by_letter = np.array(
                [
                    ACCIDENTAL_SHIFT[s.bar_accidentals[n]] if n in s.bar_accidentals else signature.get(n, 0)
                    for n in LETTERS
                ]
            )[self.letter_index]
            pitches = self.naturals + np.where(self.written != 99, self.written, by_letter)
            found = np.zeros(self.size, dtype=bool)
            found[self.notes[(pitches < s.low - self.slack) | (pitches > s.high + self.slack)]] = True
            if len(self._outside) < 100_000:
                self._outside[key] = found
        return found
