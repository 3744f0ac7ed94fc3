"""`melody doctor`: what preview and training can use on this machine, and what to install."""

from __future__ import annotations

import importlib.util
import shutil


def _module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def checks() -> list[dict]:
    """One row per part: name, ok, what was found, and the command that installs it."""
    from melody.audio.preview import find_soundfont, midi_output_ports, output_device
    from melody.errors import ConfigError

    rows = []

    def row(name: str, ok: bool, detail: str, install: str) -> None:
        rows.append({"name": name, "ok": bool(ok), "detail": detail, "install": install})

    fluid_lib = _module("fluidsynth") and _library("fluidsynth")
    row("FluidSynth library", fluid_lib, "pyfluidsynth + libfluidsynth", _fluidsynth_advice())
    program = shutil.which("fluidsynth")
    row("FluidSynth program", program, program or "", f"{FLUIDSYNTH}; else play renders with sine tones")
    try:
        font = find_soundfont()
    except Exception as error:  # a bad $MELODY_SOUNDFONT is reported here, not raised
        font, detail = None, str(error)
    else:
        detail = str(font) if font else ""
    row(
        "SoundFont",
        font,
        detail,
        "apt-get install fluid-soundfont-gm (macOS: brew install fluid-synth brings one); "
        "anywhere: --soundfont FILE.sf2 or $MELODY_SOUNDFONT",
    )
    device = output_device()
    row("audio device", device, device or "", _audio_advice())
    try:
        ports = midi_output_ports()
    except ConfigError:
        ports = []
    row("MIDI output ports", ports, ", ".join(ports), "pip install python-rtmidi (and a synth or DAW)")
    row("verovio (--svg)", _module("verovio"), "installed", "pip install verovio  (or: pip install 'melody[score]')")
    row("matplotlib (--png)", _module("matplotlib"), "installed", "pip install matplotlib  (or 'melody[plot]')")
    abc2midi = shutil.which("abc2midi")
    row("abc2midi", abc2midi, abc2midi or "", "apt-get install abcmidi  (macOS: brew install abcmidi)")
    row("torch device", True, _torch_device(), "")
    return rows


FLUIDSYNTH = "apt-get install fluidsynth  (macOS: brew install fluid-synth; Windows: choco install fluidsynth)"
PORTAUDIO = "apt-get install libportaudio2  (macOS: brew install portaudio; Windows: the sounddevice wheel has it)"


def _fluidsynth_advice() -> str:
    """What is missing of FluidSynth: the Python binding, the C library, or both."""
    if not _library("fluidsynth"):
        return FLUIDSYNTH + (" && pip install pyfluidsynth" if not _module("fluidsynth") else "")
    return "pip install pyfluidsynth"


def _audio_advice() -> str:
    """Why there is no sound output: sounddevice missing, its PortAudio library missing, or no device."""
    if not _module("sounddevice"):
        return "pip install sounddevice; else play writes a .wav"
    try:
        import sounddevice  # noqa: F401
    except OSError:  # sounddevice is there but cannot load PortAudio
        return f"the PortAudio library: {PORTAUDIO}"
    return "no sound output device here (a sound card, or audio passed into the container); play writes a .wav"


def _library(name: str) -> bool:
    import ctypes.util

    return ctypes.util.find_library(name) is not None


def _torch_device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu ({torch.get_num_threads()} threads)"
