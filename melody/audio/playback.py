"""Sound out now: rendered audio to the sound device, a piece to a MIDI port, and the preview of
freshly generated pieces. The CLI and the studio call these; neither holds this logic itself."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from melody.audio.preview import midi_output_ports, write_wav
from melody.errors import ConfigError
from melody.formats.convert import read_score
from melody.music.score import Score


def play_audio(audio: np.ndarray, sample_rate: int, progress=None) -> None:
    """Play through the default output, reporting whole seconds to `progress(done, total)`; an
    interrupt (Ctrl-C) stops the sound before it propagates."""
    import sounddevice

    seconds = int(audio.size / sample_rate) + 1
    sounddevice.play(audio.astype("float32"), sample_rate)
    try:
        started = time.monotonic()
        while sounddevice.get_stream().active:
            if progress is not None:
                progress(min(seconds, int(time.monotonic() - started)), seconds)
            time.sleep(0.2)
    finally:
        sounddevice.stop()


def stream_to_port(score: Score, port_name: str) -> None:
    """Send the piece to a MIDI output (a hardware synth, a DAW) in real time; an interrupt stops
    it and silences the port."""
    import mido

    from melody.formats.midi import score_to_midi_bytes

    if port_name not in midi_output_ports():
        raise ConfigError(f"no MIDI output port {port_name!r}; see melody play `list_ports`")
    midi = mido.MidiFile(file=io.BytesIO(score_to_midi_bytes(score)))
    with mido.open_output(port_name) as port:
        try:
            for message in midi.play():
                port.send(message)
        finally:
            port.reset()


@dataclass
class PreviewRow:
    """One written piece after its preview: the .wav beside its .mid and what it sounds like."""

    title: str
    key: str | None
    meter: str | None
    bars: int
    seconds: float
    notes: int
    abc: str
    wav: str
    renderer: str
    score: Score


def preview_written(written: list[dict]) -> list[PreviewRow]:
    """A .wav beside each written .mid (the dicts `generate.write_pieces` returns), and the
    figures a preview table shows. The dicts gain "wav" and "renderer"."""
    rows = []
    for item in written:
        audio = write_wav(item["midi"], Path(item["midi"]).with_suffix(".wav"))
        item["wav"], item["renderer"] = audio["wav"], audio["renderer"]
        score, _ = read_score(item["midi"])
        bars = int(-(-score.duration // float(score.bar_beats)))
        rows.append(
            PreviewRow(
                item["title"],
                item["key"],
                item["meter"],
                bars,
                audio["seconds"],
                item["notes"],
                item["abc"],
                audio["wav"],
                audio["renderer"],
                score,
            )
        )
    return rows
