"""Folders of piano performances the way a recorded pianist's MIDI files have them, made from real music.

Each of music21's Bach chorales is played on one piano track: human timing (a slowly drifting tempo,
onsets jittered by 10-30 ms), velocities varied (the top voice louder), and a pianist's pedalling:
the sustain pedal (controller 64) lifted as each new harmony (beat) is struck and pressed again
60-100 ms later, with the keys released early under it, so what sounds is what the pedal holds.

    python bench/performance_fixtures.py OUT_FOLDER [COUNT] [--verses N]

`sounding(path)` measures a file as a listener hears it, with pretty_midi and the pedal applied
(independently of melody's reader): polyphony at each onset and each note's sounding duration.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import mido
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from song_fixtures import chorale_names, chorale_parts, verses  # noqa: E402

TICKS = 480
BPM = 100
PEDAL = 64


def play(parts, rng: random.Random) -> tuple[list[tuple[float, float, int, int]], list[tuple[float, float]]]:
    """(on, key-up, pitch, velocity) in seconds of each note, and (down, up) of each pedal press."""
    notes = sorted((start, end, pitch, voice) for voice, part in enumerate(parts) for start, end, pitch in part)
    beats = sorted({start for start, _e, _p, _v in notes})
    drift = np.cumsum([rng.gauss(0, 0.004) for _ in range(len(beats) + 1)])  # rubato: seconds per beat drift

    def seconds(beat: float) -> float:
        index = min(int(np.searchsorted(beats, beat)), len(drift) - 1)
        return beat * 60 / BPM * (1 + float(drift[index]))

    played, presses = [], []
    for onset, following in zip(beats, beats[1:] + [beats[-1] + 1]):
        strike, next_strike = seconds(onset), seconds(following)
        down = strike + rng.uniform(0.06, 0.10)
        if next_strike > down + 0.05:
            presses.append((down, next_strike + rng.uniform(0.0, 0.02)))  # lifted as the next harmony sounds
    for start, end, pitch, voice in notes:
        on = seconds(start) + rng.choice((-1, 1)) * rng.uniform(0.010, 0.030)
        written = seconds(end) - seconds(start)
        up = on + max(0.08, written * rng.uniform(0.35, 0.7))  # the key leaves early: the pedal holds it
        velocity = max(1, min(127, (84 if voice == 0 else 62) + rng.randint(-14, 14)))
        played.append((max(0.0, on), up, pitch, velocity))
    return played, presses


def write_performance(path: Path, parts, rng: random.Random) -> None:
    played, presses = play(parts, rng)
    events = []  # (tick, order, message): offs before ons at one tick, pedal lifts before presses

    def tick(seconds: float) -> int:
        return max(0, round(seconds * BPM / 60 * TICKS))

    for on, up, pitch, velocity in played:
        events.append((tick(on), 2, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((max(tick(up), tick(on) + 1), 1, mido.Message("note_off", note=pitch, velocity=0)))
    for down, up in presses:
        events.append((tick(down), 3, mido.Message("control_change", control=PEDAL, value=127)))
        events.append((tick(up), 0, mido.Message("control_change", control=PEDAL, value=0)))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Piano", time=0)])
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0))
    track.append(mido.Message("program_change", program=0, time=0))
    now = 0
    for at, _order, message in sorted(events, key=lambda e: e[:2]):
        track.append(message.copy(time=at - now))
        now = at
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    midi.tracks.append(track)
    midi.save(path)


def build_performances(folder: str | Path, count: int, repeats: int = 1, seed: int = 11) -> list[Path]:
    """`count` pedalled performances of four-part chorales (fewer if the corpus holds fewer)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng, written = random.Random(seed), []
    for name in chorale_names(count * 2):
        if len(written) >= count:
            break
        found = chorale_parts(name)
        if found is None:
            continue
        (soprano, inner, bass), meter, _pickup = found
        path = folder / f"performance_{len(written):03d}_{Path(name).stem.replace('.', '_')}.mid"
        write_performance(path, verses((soprano, inner, bass), meter, repeats), rng)
        written.append(path)
    return written


def sounding(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, pitches) of a file's notes as they sound, in seconds: pretty_midi's notes, each
    held past its key-up while the sustain pedal is down (or until its key is struck again)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # pyfluidsynth prints when it is imported
        import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(path))
    starts, ends, pitches = [], [], []
    for instrument in midi.instruments:
        presses, down = [], None
        for change in sorted(instrument.control_changes, key=lambda c: c.time):
            if change.number != PEDAL:
                continue
            if change.value >= 64 and down is None:
                down = change.time
            elif change.value < 64 and down is not None:
                presses.append((down, change.time))
                down = None
        notes = sorted(instrument.notes, key=lambda n: (n.pitch, n.start))
        for index, note in enumerate(notes):
            end = note.end
            press = next(((d, u) for d, u in presses if d <= note.end < u), None)
            if press is not None:
                again = (
                    notes[index + 1].start if index + 1 < len(notes) and notes[index + 1].pitch == note.pitch else 1e9
                )
                end = max(note.end, min(press[1], again))
            starts.append(note.start)
            ends.append(end)
            pitches.append(note.pitch)
    return np.array(starts), np.array(ends), np.array(pitches)


def sounding_figures(paths) -> dict:
    """Notes sounding at each onset (mean) and the median sounding duration (s), over files."""
    polyphony, durations = [], []
    for path in paths:
        starts, ends, _pitches = sounding(path)
        onsets = np.unique(np.round(starts, 3))
        polyphony += [int(((starts <= t + 1e-3) & (ends > t + 1e-3)).sum()) for t in onsets]
        durations += (ends - starts).tolist()
    return {"polyphony": float(np.mean(polyphony)), "median_seconds": float(np.median(durations))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("count", type=int, nargs="?", default=20)
    parser.add_argument("--verses", type=int, default=1, help="play each chorale this many times over")
    args = parser.parse_args(argv)
    paths = build_performances(args.folder, args.count, args.verses)
    figures = sounding_figures(paths)
    print(
        f"{len(paths)} performances in {args.folder}: {figures['polyphony']:.2f} notes sounding at an onset, "
        f"median sounding {figures['median_seconds']:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
