"""Accompaniment: a given melody fed note for note as an event model's melody voice, the model
writing the other voices around it.

The melody goes in where the model would have it: its meter, tempo and key are the header; at each
onset its notes come first (the order training saw), so the other voices at that position hear
them. The model writes freely otherwise, with three limits: it never writes in the melody's voice,
it cannot move time past the melody's next onset (a BAR or POS that would is replaced by the
tokens that reach that onset and play the melody's notes there), and it cannot end before the
melody has. Once the melody has ended, the piece ends at the next bar line. The piece that comes
out holds the melody exactly as given (not quantized) beside the model's voices.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from melody.errors import ConfigError
from melody.music.roles import melody_voice
from melody.music.score import Note, Score
from melody.tokenizers.events import STEPS_PER_BEAT, TEMPOS, velocity_bin


class Accompanist:
    """One piece's forcing machine: `header()` ids to start with, `banned()` per step, and
    `intercept(token)` -> the ids that replace a drawn token (None: keep it); `feed(token)` after
    every token that goes into the piece."""

    def __init__(self, tokenizer, melody: Score, layout: dict | None):
        tokenizer.require("accompany")
        roles = [v["role"] for v in (layout or {}).get("layout", [])]
        if not roles or roles[0] != "melody":
            raise ConfigError("`accompany` needs a model whose pieces have a melody voice first")
        if len(roles) < 2:
            raise ConfigError("`accompany` needs a model that writes more than the melody")
        self.tokenizer, self.vocab = tokenizer, tokenizer.vocab
        self.index = tokenizer.index
        self.melody = melody_voice(melody)
        arranged = tokenizer.arranged(replace(self.melody, programs=(0,), names=(), drums=()))
        self.shift = arranged.notes[0].start - self.melody.notes[0].start if self.melody.notes else 0.0
        numerator, denominator = arranged.meter
        self.bar_steps = round(4 * numerator / denominator * STEPS_PER_BEAT)
        self.meter = f"METER_{numerator}_{denominator}"
        if self.meter not in self.index:
            raise ConfigError(f"the melody's meter {numerator}/{denominator} is not one the model knows")
        self.tempo = f"TEMPO_{min(TEMPOS, key=lambda t: abs(t - arranged.tempo))}"
        # the key the notes are in: a file's key signature is often only a signature (Essen's K:E over A minor)
        heard = replace(arranged, key=None)
        self.key = tokenizer.key_tokens(heard)
        onsets: dict[int, list[tuple[int, int, int]]] = {}
        for note in arranged.notes:
            start = round(note.start * STEPS_PER_BEAT)
            duration = max(1, min(16 * STEPS_PER_BEAT, round(note.end * STEPS_PER_BEAT) - start))
            onsets.setdefault(start, []).append((note.pitch, duration, velocity_bin(note.velocity)))
        self.onsets = sorted(onsets.items())
        self.end_bar = max(round(n.end * STEPS_PER_BEAT) - 1 for n in arranged.notes) // self.bar_steps
        self.next = 0  # index into onsets of the next melody onset to play
        self.played = 0  # of that onset's notes, how many are in the piece
        self.bar, self.position, self.voice, self.velocity = -1, 0, 0, None
        self.started = False
        size = len(self.vocab)
        self._pitches = np.array([t.startswith(("PITCH_", "DRUM_")) for t in self.vocab])
        self._melody_voice = np.zeros(size, dtype=bool)
        self._melody_voice[self.index["V_0"]] = True
        self._eos = np.zeros(size, dtype=bool)
        self._eos[tokenizer.eos_id] = True

    def header(self) -> list[int]:
        """Meter, tempo and key of the melody; the voices follow from the model's layout."""
        tokens = [self.meter, self.tempo] + self.key
        return [self.index[t] for t in tokens]

    def banned(self) -> np.ndarray:
        """(V,) never the melody's voice; no notes while the melody's voice is current; no end before
        the melody's."""
        mask = self._melody_voice.copy()
        if self.voice == 0 and self.started:
            mask |= self._pitches
        if self.next < len(self.onsets):
            mask |= self._eos
        return mask

    def intercept(self, token: int) -> list[int] | None:
        text = self.vocab[token]
        if not self.started:
            return None if text != "BAR" else self._to_next_onset(first=True)
        if text == "BAR":
            target = (self.bar + 1) * self.bar_steps
        elif text.startswith("POS_"):
            target = self.bar * self.bar_steps + int(text[4:])
        else:
            return None
        if self.next < len(self.onsets) and target >= self.onsets[self.next][0]:
            return self._to_next_onset()
        if self.next >= len(self.onsets) and text == "BAR" and self.bar >= self.end_bar:
            return [self.tokenizer.eos_id]  # the melody is over: so is the piece, at its last bar line
        return None

    def _to_next_onset(self, first: bool = False) -> list[int]:
        """BARs and a POS that reach the melody's next onset, then its notes there."""
        start, notes = self.onsets[self.next]
        bar, position = divmod(start, self.bar_steps)
        tokens, current_bar = [], self.bar
        while current_bar < bar:
            tokens.append("BAR")
            current_bar += 1
        if tokens or first or position != self.position:
            tokens.append(f"POS_{position}")
        voice, velocity = self.voice, self.velocity
        if voice != 0:
            tokens.append("V_0")
        for pitch, duration, loudness in notes:
            if self.tokenizer.velocity and loudness != velocity:
                tokens.append(f"VEL_{loudness}")
                velocity = loudness
            tokens += [f"PITCH_{pitch}", f"DUR_{duration}"]
        return [self.index[t] for t in tokens]

    def feed(self, token: int) -> None:
        text = self.vocab[token]
        if text == "BAR":
            self.started, self.bar, self.position = True, self.bar + 1, 0
        elif text.startswith("POS_"):
            self.position = int(text[4:])
        elif text.startswith("V_"):
            self.voice = int(text[2:])
        elif text.startswith("VEL_"):
            self.velocity = int(text[4:])
        elif text.startswith("DUR_") and self.voice == 0 and self.next < len(self.onsets):
            start, notes = self.onsets[self.next]
            here = self.bar * self.bar_steps + self.position
            if here == start:
                self.played += 1
                if self.played == len(notes):
                    self.next, self.played = self.next + 1, 0

    def piece(self, score: Score) -> Score:
        """The decoded piece with the melody's voice replaced by the melody exactly as given, on the
        melody's own clock (what the model wrote in the rest before a pickup is left out)."""
        others = [
            Note(n.start - self.shift, n.end - self.shift, n.pitch, n.velocity, n.voice)
            for n in score.notes
            if n.voice != 0 and round((n.start - self.shift) * STEPS_PER_BEAT) >= 0  # on the grid
        ]
        melody = [replace(n, voice=0) for n in self.melody.notes]
        return replace(
            score,
            notes=tuple(melody + others),
            tempo=self.melody.tempo,
            key=self.melody.key or score.key,
            pickup=self.melody.pickup,
        )
