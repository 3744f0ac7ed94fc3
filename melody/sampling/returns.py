"""Returning parts: in a form such as ABAC the third part is the first again, as tunes are built.

The sampler records each part as the model writes it (from its cue to the bar line that closes it,
an anacrusis or pickup left out) and, when the form brings a letter back, forces those tokens again;
a primed letter (``ABA'C``) gets the first bar back and the model writes the rest anew. The bar
line that closes the returning part is left to the mask, which knows what follows it.
"""

from __future__ import annotations

import numpy as np

from melody.formats.abc.lexer import token_kind
from melody.formats.abc.syntax import LAST_BAR_CUE
from melody.sampling.tune_rules import StrictTune


class PartReturns:
    """One tune's parts as written, by letter, and the tokens to force when one comes back; right
    after them, `sealed` rules out what would change the replayed part's last note (a length, a
    broken rhythm, a tie), so it ends as it did."""

    def __init__(self, vocab: list[str]):
        self.vocab = vocab
        self.written: dict[str, list[int]] = {}
        self.recording: tuple[str, int] | None = None  # (letter, section) being written
        self.sealed = np.array([token_kind(t) in ("length", "broken", "tie") for t in vocab])

    def fed(self, token_id: int, state: StrictTune) -> list[int]:
        """Note the token the state was just fed; returns the tokens to force next (a part's return)."""
        token = self.vocab[token_id]
        kind = token_kind(token)
        if kind == "part" and token != LAST_BAR_CUE and state.form is not None and not state.form_done:
            letter = state.form.sections[state.section][0]
            again = self.written.get(letter[0])
            if again is not None:
                self.recording = None
                return self._first_bar(again) if letter.endswith("'") else list(again)
            self.recording, self.written[letter[0]] = (letter[0], state.section), []
            return []
        if self.recording is None:
            return []
        letter, section = self.recording
        if state.section != section or state.form_done:
            self.recording = None  # the bar line that closed the part is not the part's
        elif kind == "bar" and state.part_bars_done == 0:
            self.written[letter] = []  # an anacrusis or pickup, not a bar of the part
        else:
            self.written[letter].append(token_id)
        return []

    def _first_bar(self, ids: list[int]) -> list[int]:
        ends = next((i for i, t in enumerate(ids) if token_kind(self.vocab[t]) == "bar"), len(ids) - 1)
        return ids[: ends + 1]
