"""Hear and see a piece: audio through FluidSynth (or a plain sine fallback), a terminal piano roll.

Audio libraries are imported lazily: a missing one changes which renderer is used and says so,
it never stops the command.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from melody.errors import ConfigError, InputError
from melody.fileio import atomic_write_bytes
from melody.formats.midi import import_pretty_midi
from melody.music.score import Score, bar_lines, pitch_name

SOUNDFONT_PLACES = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "~/.fluidsynth/default_sound_font.sf2")
RENDERERS = ("auto", "fluidsynth", "sine")
INSTALL_HINT = "for real instrument sounds: apt-get install fluidsynth && pip install pyfluidsynth"


def find_soundfont(explicit: str | None = None) -> Path | None:
    """--soundfont, $MELODY_SOUNDFONT, the usual system places, then the one pretty_midi ships."""
    for candidate in (explicit, os.environ.get("MELODY_SOUNDFONT")):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise ConfigError("no such SoundFont file", str(path))
            return path
    for place in SOUNDFONT_PLACES:
        path = Path(place).expanduser()
        if path.is_file():
            return path
        if path.is_dir():
            fonts = sorted(path.glob("*.sf2"))
            if fonts:
                return fonts[0]
    pretty_midi = import_pretty_midi()

    shipped = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
    return shipped if shipped.is_file() else None


def _fluidsynth_audio(midi, sample_rate: int, soundfont: Path) -> np.ndarray | None:
    """FluidSynth through pyfluidsynth (as pretty_midi uses it), else the `fluidsynth` program."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pyfluidsynth prints when imported
            import fluidsynth  # noqa: F401  (pyfluidsynth; needs the libfluidsynth library)

        return midi.fluidsynth(sample_rate, str(soundfont))  # 2nd place: sf2_path to 0.2.10, synthesizer after
    except (ImportError, OSError):
        pass
    program = shutil.which("fluidsynth")
    if program is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        midi_path, wav_path = Path(folder) / "in.mid", Path(folder) / "out.wav"
        midi.write(str(midi_path))
        command = [
            program,
            "-ni",
            "-q",
            "-F",
            str(wav_path),
            "-r",
            str(sample_rate),
            "-T",
            "wav",
            str(soundfont),
            str(midi_path),
        ]
        result = subprocess.run(command, capture_output=True, timeout=600)
        if result.returncode != 0 or not wav_path.is_file():
            return None
        with wave.open(str(wav_path)) as handle:
            frames = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
            channels = handle.getnchannels()
        return frames.reshape(-1, channels).mean(axis=1) / 32768.0


def output_device() -> str | None:
    """The default sound output's name, or None (sounddevice is optional)."""
    try:
        import sounddevice

        return sounddevice.query_devices(kind="output")["name"]
    except Exception:  # ImportError, OSError (no PortAudio), PortAudioError (no device)
        return None


def midi_output_ports() -> list[str]:
    import mido

    try:
        return list(mido.get_output_names())
    except Exception as error:  # mido needs a backend such as python-rtmidi for ports
        raise ConfigError(f"no MIDI port backend ({error}); pip install python-rtmidi") from None


def render(
    midi_path: str | Path | bytes, sample_rate: int = 44100, soundfont: str | None = None, renderer: str = "auto"
) -> tuple[np.ndarray, str]:
    """Mono audio in [-1, 1] and the name of the renderer that made it, from a MIDI file or its bytes."""
    pretty_midi = import_pretty_midi()

    if renderer not in RENDERERS:
        raise ConfigError(f"unknown renderer {renderer!r}; choose one of {', '.join(RENDERERS)}")
    if not 8000 <= sample_rate <= 192000:
        raise ConfigError("`sample_rate` must be between 8000 and 192000")
    try:
        midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_path) if isinstance(midi_path, bytes) else str(midi_path))
    except Exception as error:  # pretty_midi raises many types for damaged files
        where = "MIDI data" if isinstance(midi_path, bytes) else str(midi_path)
        raise InputError(f"not a readable MIDI file ({str(error)[:120]})", where) from None
    audio, used = None, "sine"
    font = find_soundfont(soundfont) if renderer != "sine" else None
    if font is not None:
        audio = _fluidsynth_audio(midi, sample_rate, font)
        used = f"fluidsynth ({font.name})"
    if audio is None:
        if renderer == "fluidsynth":
            raise ConfigError(f"FluidSynth is not available here; {INSTALL_HINT}")
        audio, used = midi.synthesize(fs=sample_rate), "sine"
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return (audio / peak * 0.9 if peak > 0 else audio), used


def render_score(
    score: Score, sample_rate: int = 44100, soundfont: str | None = None, renderer: str = "auto"
) -> tuple[np.ndarray, str]:
    """`render` of a Score (repeats played out, as its MIDI file has them)."""
    from melody.formats.midi import score_to_midi_bytes

    return render(score_to_midi_bytes(score), sample_rate, soundfont, renderer)


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono PCM WAV."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def compressed_audio(audio: np.ndarray, sample_rate: int) -> tuple[bytes, str]:
    """Audio small enough to inline in a page: MP3 (libsndfile through soundfile, which every browser
    plays; 2 KB a second), else a WAV where soundfile cannot write MP3.
    Returns (bytes, MIME type)."""
    try:
        import soundfile

        buffer = io.BytesIO()
        samples = np.clip(audio, -1, 1).astype("float32")
        # constant bit rate at this level: 16 kbit/s, a preview's quality at a twentieth of a WAV's size
        soundfile.write(buffer, samples, sample_rate, format="MP3", bitrate_mode="CONSTANT", compression_level=0.95)
        return buffer.getvalue(), "audio/mpeg"
    except (ImportError, OSError, RuntimeError, TypeError, ValueError):  # no soundfile, or a libsndfile without MP3
        return wav_bytes(audio, sample_rate), "audio/wav"


def write_wav(
    midi_path, wav_path, sample_rate: int = 44100, soundfont: str | None = None, renderer: str = "auto"
) -> dict:
    audio, used = render(midi_path, sample_rate, soundfont, renderer)
    atomic_write_bytes(wav_path, wav_bytes(audio, sample_rate))
    return {
        "wav": str(wav_path),
        "renderer": used,
        "seconds": round(audio.size / sample_rate, 3),
        "sample_rate": sample_rate,
    }


def piano_roll(score: Score, width: int = 100) -> list[str]:
    """Lines of a piano roll that fit `width` columns: one row per semitone over the piece's range
    (high at the top, named in its key), time columns, '|' at bar lines (after the pickup), '#'
    where a note sounds."""
    if not score.notes:
        return ["(no notes)"]
    low, high = min(n.pitch for n in score.notes), max(n.pitch for n in score.notes)
    label = 5
    columns = width - label - 1
    beats = max(score.duration, 1e-9)
    per_column = beats / columns
    grid = [[" "] * columns for _ in range(high - low + 1)]
    for line in bar_lines(score):
        column = min(columns - 1, int(line / per_column + 1e-9))
        for row in grid:
            row[column] = "|"
    for note in score.notes:
        row = high - note.pitch
        first = int(note.start / per_column)
        last = max(first, int(min(note.end, beats) / per_column - 1e-9))
        for column in range(first, min(last + 1, columns)):
            grid[row][column] = "#"
    return [pitch_name(high - index, score.key).rjust(label) + " " + "".join(row) for index, row in enumerate(grid)]
