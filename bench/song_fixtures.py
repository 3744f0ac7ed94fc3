"""Folders of MIDI files with the quirks of the multi-track songs users bring, made from real music.

Each of music21's Bach chorales becomes a three-track song (MELODY: the soprano, BRIDGE: alto and
tenor as one chord track, PIANO: the bass), every track on program 0, as a public pop collection
has them, with:

- a silent lead-in of 0.055 s (not a whole beat), so the grid's phase must be found;
- a declared meter that is no meter (1/4 or 1/8: a bar of a beat or less, as some exporters
  write) in two files of three, the true one in the third, or the one asked for;
- tempo changes in every fourth file; a drum track (channel 10) in every third; every fifth file
  written as type 0 (one track, the parts on channels of their own);
- with `humanise`: onsets jittered by 10-30 ms and velocities varied, as a played performance;
- with `verses`: the chorale played that many times over, as a song repeats its verses (a song's
  length in notes, for figures that depend on it: reading speed);
- with `pop`, what a sequencer's export of a pop song has that the above lacks: the song moved into
  one of twelve keys under a placeholder C major key signature, the melody (the soprano an octave
  down) below the BRIDGE counter-line (the alto), the PIANO playing tenor and bass together, 2/4
  declared over 4/4, and enough verses for 1,500 notes or more.

The truth (meter, where the first bar line falls, in beats from the file's start; with `pop`, the
key as music21 finds it in the chorale, moved with it) goes to `truth.json` beside the files, for a
bench to compare what a reader finds.

    python bench/song_fixtures.py OUT_FOLDER [COUNT] [--declare 1/4] [--humanise] [--verses N] [--pop]
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import mido

TICKS = 480
LEAD_IN_SECONDS = 0.055
TRACKS = ("MELODY", "BRIDGE", "PIANO")
DRUM_CHANNEL = 9
KICK, SNARE, HAT = 36, 38, 42


def chorale_names(count: int) -> list[str]:
    from music21.corpus import chorales

    return [str(name) for name in chorales.Iterator(returnType="filename")][:count]


def chorale_parts(name: str):
    """(soprano, alto+tenor, bass) notes as (start, end, pitch) in beats, meter, pickup, tempo; None
    for a chorale that is not four parts."""
    from music21 import corpus

    from melody.formats.stream import stream_to_score

    score = stream_to_score(corpus.parse(name))
    if score.voices != 4:
        return None
    parts = [[(n.start, n.end, n.pitch) for n in score.notes if n.voice == v] for v in range(4)]
    return (parts[0], sorted(parts[1] + parts[2]), parts[3]), score.meter, score.pickup


POP_NOTES = 1500


def pop_parts(name: str, shift: int):
    """A chorale as a pop song's three tracks (see the module's doc), moved `shift` semitones:
    (MELODY, BRIDGE, PIANO) notes, meter, pickup, and the key music21 finds in it, moved too."""
    from music21 import corpus

    from melody.formats.stream import stream_to_score
    from melody.music.theory import MAJOR_KEYS, MINOR_KEYS

    parsed = corpus.parse(name)
    score = stream_to_score(parsed)
    if score.voices != 4:
        return None
    parts = [[(n.start, n.end, n.pitch + shift) for n in score.notes if n.voice == v] for v in range(4)]
    melody = [(start, end, pitch - 12) for start, end, pitch in parts[0]]
    found = parsed.analyze("key")
    key = (MAJOR_KEYS if found.mode == "major" else MINOR_KEYS)[(found.tonic.pitchClass + shift) % 12]
    return (melody, parts[1], sorted(parts[2] + parts[3])), score.meter, score.pickup, key


def drum_part(length: float, beats_per_bar: int, pickup: float) -> list[tuple[float, float, int]]:
    """A plain rock beat: kick on one (and three), snare on the other beats, hats on eighths."""
    notes, beat = [], pickup
    while beat < length:
        place = round(beat - pickup) % beats_per_bar
        notes.append((beat, beat + 0.25, KICK if place in (0, 2) and beats_per_bar == 4 or place == 0 else SNARE))
        notes += [(beat + half, beat + half + 0.25, HAT) for half in (0.0, 0.5)]
        beat += 1
    return notes


def tempo_map(number: int, length: float) -> list[tuple[float, float]]:
    """(beat, bpm) changes: a steady tempo, or in every fourth file a slower middle section."""
    base = 84 + (number * 7) % 40
    if number % 4:
        return [(0.0, base)]
    return [(0.0, base), (round(length / 3), base - 12), (round(2 * length / 3), base + 6)]


def seconds_at(beat: float, tempi: list[tuple[float, float]]) -> float:
    seconds, previous, bpm = 0.0, 0.0, tempi[0][1]
    for at, next_bpm in tempi[1:]:
        if beat <= at:
            break
        seconds += (at - previous) * 60 / bpm
        previous, bpm = at, next_bpm
    return seconds + (beat - previous) * 60 / bpm


def beat_at(seconds: float, tempi: list[tuple[float, float]]) -> float:
    """Inverse of `seconds_at` (tempo maps are short: a bisection is plenty)."""
    low, high = -10.0, 10_000.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if seconds_at(middle, tempi) < seconds else (low, middle)
    return (low + high) / 2


def write_song(
    path: Path,
    parts,
    meter,
    pickup,
    number: int,
    declare: str | None,
    humanise: bool,
    rng: random.Random,
    placeholder_key: bool = False,
) -> dict:
    """One song file; returns its truth. `placeholder_key`: a C major key signature, as exporters write."""
    length = max(end for part in parts for _s, end, _p in part)
    tempi = tempo_map(number, length)
    lead_in = LEAD_IN_SECONDS * tempi[0][1] / 60  # in beats at the first tempo
    voices = [list(part) for part in parts]
    channels = [0, 1, 2]
    if number % 3 == 0:
        voices.append(drum_part(length, meter[0] if meter[1] == 4 else 4, pickup))
        channels.append(DRUM_CHANNEL)
    if declare:
        declared = tuple(int(v) for v in declare.split("/"))
    else:
        declared = ((1, 4), (1, 8), meter)[number % 3]

    def tick(beat: float, jitter: float = 0.0) -> int:
        if not jitter:
            return max(0, round((beat + lead_in) * TICKS))
        moved = beat_at(seconds_at(beat + lead_in, tempi) + jitter, tempi)
        return max(0, round(moved * TICKS))

    events = []  # (tick, order, track, message)
    conductor = [mido.MetaMessage("time_signature", numerator=declared[0], denominator=declared[1], time=0)]
    if placeholder_key:
        conductor.append(mido.MetaMessage("key_signature", key="C", time=0))
    events += [(0, 0, 0, message) for message in conductor]
    for at, bpm in tempi:
        events.append((tick(at) if at else 0, 0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
    for index, (notes, channel) in enumerate(zip(voices, channels)):
        played = []  # (on, off, pitch, velocity) in ticks
        for start, end, pitch in notes:
            jitter = rng.choice((-1, 1)) * rng.uniform(0.010, 0.030) if humanise else 0.0
            velocity = rng.randint(50, 110) if humanise else (96 if index == 0 else 80)
            on, off = tick(start, jitter), tick(end, jitter * 0.5)
            played.append((on, max(off, on + 1), pitch, velocity))
        played.sort()
        for number_, (on, off, pitch, velocity) in enumerate(played):
            # a player lifts a key before striking it again: no note-off after the same key's next note-on
            again = next((o for o, _f, p, _v in played[number_ + 1 :] if p == pitch), None)
            off = max(on + 1, min(off, again)) if again is not None else off
            events.append((on, 2, index, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
            events.append((off, 1, index, mido.Message("note_off", channel=channel, note=pitch, velocity=0)))
    names = list(TRACKS) + (["DRUMS"] if len(voices) > 3 else [])
    midi = mido.MidiFile(type=0 if number % 5 == 0 else 1, ticks_per_beat=TICKS)
    if midi.type == 0:
        midi.tracks.append(_track(sorted(events, key=lambda e: e[:2]), "song"))
    else:
        midi.tracks.append(_track(sorted((e for e in events if e[1] == 0), key=lambda e: e[0]), "conductor"))
        for index, name in enumerate(names):
            mine = sorted((e for e in events if e[2] == index and e[1] > 0), key=lambda e: e[:2])
            midi.tracks.append(_track(mine, name, channels[index]))
    midi.save(path)
    bar = 4 * meter[0] / meter[1]
    return {
        "meter": f"{meter[0]}/{meter[1]}",
        "declared": f"{declared[0]}/{declared[1]}",
        "first_bar_line": round((lead_in + pickup) % bar, 4),
        "lead_in": round(lead_in, 4),
        "tracks": names,
        "type": midi.type,
        "tempo_changes": len(tempi) - 1,
    }


def _track(events, name: str, channel: int | None = None) -> mido.MidiTrack:
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    if channel is not None and channel != DRUM_CHANNEL:
        track.append(mido.Message("program_change", channel=channel, program=0, time=0))
    now = 0
    for at, _order, _index, message in events:
        track.append(message.copy(time=at - now))
        now = at
    return track


def verses(parts, meter, count: int):
    """The parts played `count` times, each time from the next bar line after the last."""
    bar = 4 * meter[0] / meter[1]
    length = math.ceil(max(end for part in parts for _s, end, _p in part) / bar - 1e-9) * bar
    return tuple([(s + k * length, e + k * length, p) for k in range(count) for s, e, p in part] for part in parts)


def build_songs(
    folder: str | Path,
    count: int,
    declare: str | None = None,
    humanise: bool = False,
    repeats: int = 1,
    pop: bool = False,
) -> dict:
    """`count` song files (fewer if the corpus holds fewer four-part chorales) and truth.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng, truth, number = random.Random(7), {}, 0
    for name in chorale_names(count * 2):
        if number >= count:
            break
        found = pop_parts(name, rng.randint(-5, 6)) if pop else chorale_parts(name)
        if found is None:
            continue
        parts, meter, pickup, *key = found
        notes = sum(len(part) for part in parts)
        parts = verses(parts, meter, max(repeats, math.ceil(POP_NOTES / notes)) if pop else repeats)
        stem = Path(name).stem.replace(".", "_")
        path = folder / f"song_{number:03d}_{stem}.mid"
        declared = declare or (("2/4" if meter == (4, 4) else f"{meter[0]}/{meter[1]}") if pop else None)
        truth[path.name] = write_song(path, parts, meter, pickup, number, declared, humanise, rng, pop)
        if pop:
            truth[path.name]["key"] = key[0]
        number += 1
    (folder / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="MIDI song fixtures with the quirks of real folders")
    parser.add_argument("folder")
    parser.add_argument("count", nargs="?", type=int, default=200)
    parser.add_argument("--declare", help="the meter every file declares, e.g. 1/4")
    parser.add_argument("--humanise", action="store_true")
    parser.add_argument("--verses", type=int, default=1)
    parser.add_argument("--pop", action="store_true", help="pop songs as sequencers export them (see above)")
    options = parser.parse_args()
    built = build_songs(options.folder, options.count, options.declare, options.humanise, options.verses, options.pop)
    print(f"{len(built)} songs in {options.folder}")
