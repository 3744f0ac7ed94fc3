import io

import pretty_midi
import pytest
from music21 import corpus

from melody.errors import InputError
from melody.formats.midi import midi_to_score, score_to_midi_bytes, write_midi
from melody.formats.stream import stream_to_score
from melody.music.score import Note, Score
from tests.conftest import DATA, needs_abc2midi

CHORALES = ["bwv66.6", "bwv1.6", "bwv10.7"]


@pytest.mark.parametrize("name", CHORALES)
def test_real_chorales_survive_midi_and_back(name, tmp_path):
    score = stream_to_score(corpus.parse(f"bach/{name}"))
    assert score.voices >= 4 and len(score.notes) > 100
    write_midi(score, tmp_path / "out.mid")
    back = midi_to_score(tmp_path / "out.mid")
    assert back.notes == score.quantize(480).notes
    assert (back.tempo, back.meter, back.key) == (score.tempo, score.meter, score.key)


@pytest.mark.parametrize("name", CHORALES)
def test_committed_fixtures_read_with_pretty_midi_and_mido(name):
    import mido

    path = DATA / f"{name}.mid"
    assert len(mido.MidiFile(path).tracks) >= 5  # a tempo track and one per voice
    assert sum(len(i.notes) for i in pretty_midi.PrettyMIDI(str(path)).instruments) == len(midi_to_score(path).notes)


def test_drums_are_a_voice_of_their_own_or_dropped_and_counted(tmp_path):
    midi = pretty_midi.PrettyMIDI()
    piano, drums = pretty_midi.Instrument(0), pretty_midi.Instrument(0, is_drum=True)
    piano.notes.append(pretty_midi.Note(80, 60, 0.0, 0.5))
    drums.notes += [pretty_midi.Note(80, 36, 0.0, 0.1), pretty_midi.Note(80, 38, 0.5, 0.6)]
    midi.instruments += [piano, drums]
    midi.write(str(tmp_path / "band.mid"))
    kept = midi_to_score(tmp_path / "band.mid")
    assert kept.drums == (False, True) and sorted(n.pitch for n in kept.notes if n.voice == 1) == [36, 38]
    back = pretty_midi.PrettyMIDI(io.BytesIO(score_to_midi_bytes(kept)))
    assert [(i.is_drum, len(i.notes)) for i in back.instruments] == [(False, 1), (True, 2)]
    score = midi_to_score(tmp_path / "band.mid", keep_drums=False)
    assert [n.pitch for n in score.notes] == [60] and score.dropped == {"drum notes": 2}


def test_type_zero_files_are_read(tmp_path):
    import mido

    track = mido.MidiTrack(
        [mido.Message("note_on", note=62, velocity=70, time=0), mido.Message("note_off", note=62, velocity=0, time=480)]
    )
    mido.MidiFile(type=0, tracks=[track], ticks_per_beat=480).save(tmp_path / "zero.mid")
    score = midi_to_score(tmp_path / "zero.mid")
    assert [(n.start, n.end, n.pitch) for n in score.notes] == [(0.0, 1.0, 62)]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_files_raise_one_error_naming_the_file(tmp_path, damage):
    data = (DATA / "bwv66.6.mid").read_bytes()
    path = tmp_path / "broken.mid"
    path.write_bytes({"truncated": data[:100], "garbage": b"MThd" + b"\xff" * 50, "empty": b""}[damage])
    with pytest.raises(InputError, match="broken.mid"):
        midi_to_score(path)


def test_a_score_without_notes_cannot_be_written():
    with pytest.raises(InputError, match="no notes"):
        score_to_midi_bytes(Score())
    assert score_to_midi_bytes(Score((Note(0, 1, 60),), key="Bb"))[:4] == b"MThd"


@needs_abc2midi
@pytest.mark.parametrize(
    "body, pickup",
    [
        ("A|:dde fed|cBA Bcd|dde fed|cBA B2A:|\n|:afd dfa|gfe d2A:|", 0.5),  # an eighth before bar 1
        ("dde fed|cBA Bcd|dde fed|cBA B3:|", 0.0),
    ],
)
def test_folk_midi_made_by_abc2midi_keeps_its_pickup(tmp_path, body, pickup):
    """abc2midi writes the time signature at the start and plays the pickup from there, with the
    first note of every bar louder: the accents put the bar lines back where the tune has them."""
    import subprocess

    (tmp_path / "tune.abc").write_text(f"X:1\nT:t\nM:6/8\nL:1/8\nK:D\n{body}\n")
    subprocess.run(["abc2midi", "tune.abc", "-o", "tune.mid"], cwd=tmp_path, capture_output=True, check=True)
    assert midi_to_score(tmp_path / "tune.mid").pickup == pickup


def test_one_loudness_for_every_note_moves_no_bar_line(tmp_path):
    notes = tuple(Note(0.5 * i, 0.5 * i + 0.5, 62 + i % 5, 90) for i in range(24))
    path = tmp_path / "even.mid"
    path.write_bytes(score_to_midi_bytes(Score(notes, meter=(6, 8))))
    assert midi_to_score(path).pickup == 0.0


@pytest.mark.parametrize(
    "meter, body, pickup",
    [
        ("6/8", "A|dde fed|cBA Bcd|dde fed|cBA B2:|", 0.5),  # a pickup bar of its own meter (1/8)
        ("3/4", "D|G2 AB cd|e4 dc|B2 A2 G2|A6|", 0.5),
        ("3/4", "E|A2- A(cBA)|G2-G (Bcd)|e2 fdBA|G4 (3EFG|A6|", 0.5),  # triplets on the pickup's grid
        ("3/8", "E>F|G4 F2|E>E ^D2 E>F|G4 A2|G>F F4|E6|", 1.0),  # dotted notes: few onsets on a grid
        ("2/2", "d2 fd edcB|A2 FA DAFA|d2 fd edcB|A2 FA D4|", 0.0),  # duple: kept, never made 4/4
        ("4/4", "GABc dedc|B2 G2 A4|GABc dedc|B2 A2 G4|", 0.0),
        ("3/2", "G4 A4 B4|c8 B4|A4 G4 F4|G12|", 0.0),
    ],
)
def test_our_own_midi_comes_back_with_its_meter_and_pickup(tmp_path, meter, body, pickup):
    """The meter a file declares is believed, and a short first bar in a meter of its own is the
    pickup: ABC -> MIDI -> Score keeps both, as bench/round_trips.py measures over whole books."""
    from melody.formats.convert import read_notation, write_score

    (tmp_path / "tune.abc").write_text(f"X:1\nT:t\nM:{meter}\nL:1/8\nK:D\n{body}\n")
    score, title, abc = read_notation(tmp_path / "tune.abc")
    write_score(score, tmp_path / "tune.mid", title, abc=abc)
    back = midi_to_score(tmp_path / "tune.mid")
    assert (f"{back.meter[0]}/{back.meter[1]}", back.pickup) == (meter, pickup)
    assert back.reading["meter_evidence"] == "as declared"
