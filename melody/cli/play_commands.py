"""What the CLI commands that hear, see, convert and serve music do: read flags, call the library,
show the result (commands.py holds those that learn and write music)."""

from __future__ import annotations

import argparse
from pathlib import Path

from melody.cli.console import counting_progress, print_json, say, show
from melody.errors import ConfigError


def run_convert(args: argparse.Namespace) -> int:
    from melody.formats.convert import read_notation, write_score

    score, title, abc = read_notation(args.input, args.tune)
    path = write_score(score, args.output, title, force=args.force, abc=abc)
    summary = {
        "input": args.input,
        "output": str(path),
        "title": title,
        "notes": len(score.notes),
        "voices": score.voices,
        "beats": score.duration,
    }
    if args.json:
        print_json(summary)
    else:
        say(f"{path}: {summary['notes']} notes, {score.voices} voice(s), {score.duration:g} beats")
    return 0


def run_play(args: argparse.Namespace) -> int:
    from melody.audio.preview import output_device
    from melody.formats.convert import read_notation

    if args.list_ports:
        return _list_ports(args.json)
    if not args.file:
        raise ConfigError("name a file to play (or --list-ports)")
    source = Path(args.file)
    score, title, abc = read_notation(source, args.tune)
    if args.port:
        from melody.audio.playback import stream_to_port

        stream_to_port(score, args.port)
        return 0
    summary = {"file": str(source), "title": title, "notes": len(score.notes), "wav": None, "played": False}
    if args.png or args.svg:
        summary |= _pictures(score, title, abc, args.png, args.svg)
    device = None if args.no_audio else output_device()
    pictures_only = (args.png or args.svg) and not (args.wav or args.no_audio or device)
    if not args.no_roll and not args.json:
        _print_roll(score, title)
    if pictures_only:  # no sound device and no --wav: the pictures were what was asked for
        say("[dim]no sound device: not played (--wav FILE writes the audio)[/]")
    else:
        _render_and_play(score, source, args, device, summary)
    if args.json:
        print_json(summary)
    return 0


def _print_roll(score, title: str) -> None:
    from melody.audio.preview import piano_roll
    from melody.cli.console import err

    seconds = score.duration * 60 / score.tempo
    err.print(f"[bold]{title}[/]  {score.meter[0]}/{score.meter[1]}, {len(score.notes)} notes, {seconds:.1f} s")
    err.print("\n".join(piano_roll(score, width=min(100, err.width))), highlight=False)


def _pictures(score, title: str, abc: str | None, png: str | None, svg: str | None) -> dict:
    """A piano-roll PNG and engraved SVG where asked; their paths."""
    from melody.audio.pictures import piano_roll_png, score_svg

    written = {
        "png": str(piano_roll_png(score, png, title)) if png else None,
        "svg": str(score_svg(score, svg, title, abc)) if svg else None,
    }
    for path in written.values():
        if path:
            say(f"wrote {path}")
    return written


def _render_and_play(score, source: Path, args: argparse.Namespace, device, summary: dict) -> None:
    """Render the audio; play it on the device, and write a .wav when asked or when there is none."""
    from melody.audio.preview import render, render_score, wav_bytes

    if source.suffix.lower() in (".mid", ".midi"):  # the file itself: its own instruments and tempo
        audio, renderer = render(source, args.sample_rate, args.soundfont, args.renderer)
    else:
        audio, renderer = render_score(score, args.sample_rate, args.soundfont, args.renderer)
    if renderer == "sine" and args.renderer == "auto":
        say(
            "[dim]rendered with plain sine tones: FluidSynth not found (apt-get install fluidsynth && "
            "pip install pyfluidsynth)[/]"
        )
    seconds = audio.size / args.sample_rate
    summary |= {"seconds": round(seconds, 3), "renderer": renderer}
    if args.wav or not device:
        from melody.fileio import atomic_write_bytes

        wav_path = Path(args.wav) if args.wav else source.with_suffix(".wav")
        atomic_write_bytes(wav_path, wav_bytes(audio, args.sample_rate))
        summary["wav"] = str(wav_path)
        say(f"wrote {wav_path} ({renderer}, {seconds:.1f} s)")
    if device:
        from melody.audio.playback import play_audio

        with counting_progress("playing (s)") as update:
            play_audio(audio, args.sample_rate, update)
        summary["played"] = True


def run_serve(args: argparse.Namespace) -> int:
    from melody.studio import LOCAL_HOSTS, serve

    if not 0 < args.port < 65536:
        raise ConfigError("--port must be between 1 and 65535")
    if args.models is not None and not Path(args.models).is_dir():
        raise ConfigError("--models must be a folder of run folders", args.models)
    if args.host not in LOCAL_HOSTS:
        say(f"[yellow]warning:[/] listening on {args.host}: anyone who can reach this machine can use the studio")

    def ready(url: str) -> None:
        say(f"melody studio at {url} (Ctrl-C stops)")

    serve(args.host, args.port, args.models, args.device, ready=ready)
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    from melody.audio.doctor import checks

    rows = checks()
    if args.json:
        print_json(rows)
        return 0
    from rich.table import Table

    table = Table(title="melody doctor")
    for column in ("part", "status", "found / how to install"):
        table.add_column(column)
    for row in rows:
        status = "[green]ok[/]" if row["ok"] else "[yellow]missing[/]"
        table.add_row(row["name"], status, row["detail"] if row["ok"] else row["install"])
    show(table)
    return 0


def _list_ports(as_json: bool) -> int:
    from melody.audio.preview import midi_output_ports

    ports = midi_output_ports()
    if as_json:
        print_json({"ports": ports})
    else:
        say("\n".join(ports) if ports else "no MIDI output ports")
    return 0
