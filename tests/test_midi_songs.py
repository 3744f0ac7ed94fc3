"""MIDI as people have it: multi-track songs (tests/data/songs, made by bench/song_fixtures.py from
Bach chorales: every track on program 0, a 0.055 s lead-in, a wrong declared meter, tempo changes,
drums, type-0 files) and played performances (tests/data/played), checked against pretty_midi and
against what the fixtures were built to be (truth.json)."""

from __future__ import annotations

import io
import json

import numpy as np
import pretty_midi
import pytest

from melody.formats.corpus import TrackChoice, load_corpus
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.music.roles import voice_roles
from melody.sampling.event_mask import EventConstraint, EventState
from melody.tokenizers.events import EventTokenizer
from melody.tokenizers.performance import PerformanceTokenizer
from melody.training.data import OFF_GRID, prepare_corpus
from tests.conftest import DATA

SONGS, PLAYED = DATA / "songs", DATA / "played"
TRUTH = json.loads((SONGS / "truth.json").read_text())


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_tracks_stay_apart_with_names_programs_and_drums(name):
    score = midi_to_score(SONGS / name)
    truth = TRUTH[name]
    assert score.voices == len(truth["tracks"])  # never merged for sharing program 0
    assert set(score.programs) == {0}
    assert score.drums == tuple(track == "DRUMS" for track in truth["tracks"])
    if truth["type"] == 1:
        assert score.names == tuple(truth["tracks"])
    assert voice_roles(score)[:3] == ("melody", "chords", "bass")
    pm = pretty_midi.PrettyMIDI(str(SONGS / name))
    assert len(score.notes) == sum(len(i.notes) for i in pm.instruments)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_meter_and_first_bar_line_are_found_not_taken_from_the_file(name):
    score, truth = midi_to_score(SONGS / name), TRUTH[name]
    assert score.reading["meter_declared"] == truth["declared"]
    assert f"{score.meter[0]}/{score.meter[1]}" == truth["meter"]
    assert score.reading["lead_in"] == pytest.approx(truth["lead_in"], abs=0.003)
    bar = float(score.bar_beats)
    found = score.reading["lead_in"] + score.pickup
    assert min((found - truth["first_bar_line"]) % bar, (truth["first_bar_line"] - found) % bar) < 0.01
    assert score.reading["grid_fit"] >= 0.99


def test_tempo_changes_are_kept_and_written_back():
    name = next(n for n, t in TRUTH.items() if t["tempo_changes"])
    score = midi_to_score(SONGS / name)
    assert len(score.tempos) == TRUTH[name]["tempo_changes"]
    written = pretty_midi.PrettyMIDI(io.BytesIO(score_to_midi_bytes(score)))
    _, tempi = written.get_tempo_changes()
    assert [round(t) for t in tempi] == [round(score.tempo)] + [round(bpm) for _, bpm in score.tempos]
    assert [i.name for i in written.instruments] == list(score.names)


def test_played_files_fit_no_grid_and_auto_reads_them_as_performances():
    for path in sorted(PLAYED.glob("*.mid")):
        assert midi_to_score(path).reading["grid_fit"] < 0.9
    corpus = prepare_corpus([str(PLAYED)], "auto", val_fraction=0.0)
    assert corpus.summary["tokenizer"] == "performance" and "fit no beat grid" in corpus.summary["tokenizer_reason"]
    quantised = prepare_corpus([str(PLAYED), str(SONGS)], "midi", val_fraction=0.0)
    assert quantised.summary["dropped"][OFF_GRID] == 3 and len(quantised.summary["off_grid_files"]) == 3


def test_performance_round_trip_is_exact_to_10_ms_and_one_velocity_bin(tmp_path):
    """Onsets to 10 ms, lengths to 10 ms up to 2 s (25 ms beyond), velocities to a bin."""
    tokenizer = PerformanceTokenizer()
    for path in sorted(PLAYED.glob("*.mid")):
        original = pretty_midi.PrettyMIDI(str(path))
        decoded = tokenizer.decode(tokenizer.encode(midi_to_score(path)))
        back = pretty_midi.PrettyMIDI(io.BytesIO(score_to_midi_bytes(decoded)))
        assert sorted(i.is_drum for i in back.instruments) == sorted(i.is_drum for i in original.instruments)
        tracks = {tuple(sorted(n.pitch for n in i.notes)): i for i in back.instruments}  # type 0: any order
        for played_track in original.instruments:
            played = sorted(played_track.notes, key=lambda n: (n.pitch, n.start))
            heard = sorted(tracks[tuple(n.pitch for n in played)].notes, key=lambda n: (n.pitch, n.start))
            assert max(abs(a.start - b.start) for a, b in zip(played, heard)) < 0.010  # 10 ms steps, then ticks
            assert max(abs(a.velocity - b.velocity) for a, b in zip(played, heard)) < 128 // 32
            # a note struck again while it sounds (unisons in one track) ends there, as MIDI can only say
            struck = [(a.pitch, a.start, a.end) for a in played]
            whole = [
                (a, b)
                for a, b in zip(played, heard)
                if not any(
                    p == a.pitch and (s, e) != (a.start, a.end) and s < a.end and a.start < e for p, s, e in struck
                )
            ]
            # a length is exact to 10 ms up to 2 s and to 50 ms beyond (the DUR tokens' steps)
            assert max(abs(a.end - b.end) - (0.015 if a.end - a.start > 2 else 0) for a, b in whole) < 0.010


def test_event_tokens_name_roles_and_keep_drums_out_of_transposition():
    tokenizer = EventTokenizer()
    name = next(n for n, t in TRUTH.items() if "DRUMS" in t["tracks"])
    score = midi_to_score(SONGS / name)
    ids = tokenizer.encode(score)
    tokens = [tokenizer.vocab[i] for i in ids]
    assert tokens[4:12] == ["PROGRAM_0", "ROLE_melody", "PROGRAM_0", "ROLE_chords"] + [
        "PROGRAM_0",
        "ROLE_bass",
        "PROGRAM_0",
        "ROLE_drums",
    ]
    assert tokenizer.decode(ids).notes == tokenizer.prepare(score).notes
    flat = np.array(ids, dtype=np.int32)
    moved = [tokenizer.vocab[i] for i in tokenizer.transpose(flat, np.array([0, len(ids)]), 5, seed=3)]
    assert [t for t in moved if t.startswith("DRUM_")] == [t for t in tokens if t.startswith("DRUM_")]
    assert moved != tokens


def test_the_sampler_declares_the_corpus_layout_and_keeps_each_role_in_register():
    tokenizer = EventTokenizer()
    layout = {
        "layout": [
            {"role": "melody", "program": 0, "name": "MELODY"},
            {"role": "bass", "program": 33, "name": "BASS"},
            {"role": "drums", "program": 0, "name": "DRUMS"},
        ],
        "registers": {"melody": [60, 84], "bass": [28, 52], "drums": [36, 38, 42]},
    }
    constraint, state = EventConstraint(tokenizer.vocab, None, layout), EventState()
    for token in ["METER_4_4", "TEMPO_120", "KEY_0_major"]:
        state.feed(token)
    allowed = []
    for _ in range(6):
        (free,) = np.nonzero(~constraint.banned(state))
        allowed.append([tokenizer.vocab[i] for i in free])
        state.feed(allowed[-1][0])
    assert allowed == [["PROGRAM_0"], ["ROLE_melody"], ["PROGRAM_33"], ["ROLE_bass"], ["PROGRAM_0"], ["ROLE_drums"]]
    state.feed("BAR")

    def free(kind: str) -> list[int]:
        return [
            int(tokenizer.vocab[i].split("_")[1])
            for i in np.nonzero(~constraint.banned(state))[0]
            if tokenizer.vocab[i].startswith(kind)
        ]

    assert free("PITCH_") == list(range(60, 85)) and not free("DRUM_")
    state.feed("PITCH_64")
    assert not free("PITCH_")  # a melody starts one note at a time
    state.feed("V_1")
    assert free("PITCH_") == list(range(28, 53))
    state.feed("V_2")
    assert free("DRUM_") == [36, 38, 42] and not free("PITCH_")
    assert not free("V_") or max(free("V_")) == 2 and not free("PROGRAM_")


def test_tracks_are_chosen_by_name_or_role(tmp_path):
    corpus = load_corpus([str(SONGS)], "score", choice=TrackChoice(("melody", "piano")))
    for piece, source in zip(corpus.pieces, corpus.sources):
        one_track = TRUTH[source.split("/")[-1]]["type"] == 0  # its parts share the track's name: by role only
        assert piece.names == (("song",) if one_track else ("MELODY", "PIANO"))
    no_drums = load_corpus([str(SONGS)], "score", choice=TrackChoice(drums=False))
    assert not any(any(piece.drums) for piece in no_drums.pieces) and no_drums.dropped["drum notes"] > 0


def _midi(path, messages, ticks_per_beat=480):
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(mido.MidiTrack(messages))
    midi.save(path)
    return path


def test_every_bad_midi_input_gets_one_line_naming_the_file(tmp_path):
    import mido

    from melody.errors import InputError

    on = lambda pitch, time=0, channel=0: mido.Message("note_on", note=pitch, velocity=80, time=time, channel=channel)  # noqa: E731
    off = lambda pitch, time=0, channel=0: mido.Message("note_off", note=pitch, time=time, channel=channel)  # noqa: E731
    cases = {
        "controls.mid": ([mido.Message("control_change", control=7, value=100)], "holds no notes"),
        "tick.mid": ([on(60), off(60, 1)], "lasts 1 ticks, under one beat"),
        "crowd.mid": (
            [on(20 + i % 100) for i in range(20000)] + [off(20 + i % 100, 480 * (i == 0)) for i in range(20000)],
            "20000 notes start at one instant",
        ),
    }
    for name, (messages, expected) in cases.items():
        with pytest.raises(InputError) as caught:
            midi_to_score(_midi(tmp_path / name, messages))
        assert expected in str(caught.value) and name in str(caught.value) and "\n" not in str(caught.value)
    drums = _midi(tmp_path / "drums.mid", [on(36, 0, 9), off(36, 480, 9), on(38, 0, 9), off(38, 480, 9)])
    assert midi_to_score(drums).drums == (True,)  # a drum track alone is a drum piece...
    with pytest.raises(InputError, match="only drum notes, and drums were dropped"):
        midi_to_score(drums, keep_drums=False)  # ...unless drums are dropped
    tempo_zero = [mido.MetaMessage("set_tempo", tempo=0), on(60), off(60, 480), on(62), off(62, 480)]
    score = midi_to_score(_midi(tmp_path / "tempo0.mid", tempo_zero))
    assert score.tempo == 120.0 and score.dropped == {"tempo marks out of 10-400 bpm": 1}
    (tmp_path / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\x00\x10\xff")
    corpus = load_corpus([str(tmp_path)], "score")
    reasons = {path.split("/")[-1]: reason for path, reason in corpus.failed_files}
    assert set(reasons) == {"controls.mid", "tick.mid", "crowd.mid", "broken.mid"}  # skipped and counted
    assert "not a readable MIDI file" in reasons["broken.mid"] and len(corpus.pieces) == 2


@pytest.fixture(scope="module")
def songs_model(tmp_path_factory):
    """A small event model trained for a few steps on the song fixtures (its quality is not the point:
    the layout, registers, key and accompaniment are the sampler's to keep)."""
    from melody.cli.program import main

    run = tmp_path_factory.mktemp("songs") / "run"
    flags = ["--hidden-size", "48", "--embed-dim", "16", "--batch-size", "4", "--seq-len", "64", "--lr", "0.01"]
    assert main(["train", str(SONGS), "--out", str(run), "--max-steps", "30", "--warmup-steps", "5", *flags]) == 0
    return run


def test_generated_songs_have_the_corpus_tracks_names_and_registers(songs_model, tmp_path, capsys):
    from melody.cli.program import main

    out = tmp_path / "out"
    args = ["generate", "--model", str(songs_model), "-n", "3", "--seed", "2", "--out", str(out), "--json"]
    assert main([*args, "--max-tokens", "600"]) == 0
    pieces = json.loads(capsys.readouterr().out)["pieces"]
    for piece in pieces:
        midi = pretty_midi.PrettyMIDI(piece["midi"])
        assert [i.name for i in midi.instruments if i.notes] == ["MELODY", "BRIDGE", "PIANO"]
        assert {i.program for i in midi.instruments} == {0}
        tops = [max(n.pitch for n in i.notes) for i in midi.instruments]
        bottoms = [min(n.pitch for n in i.notes) for i in midi.instruments]
        assert bottoms[0] > bottoms[2] and tops[0] > tops[2]  # the melody's register above the bass's


def test_generate_writes_the_tracks_asked_for_at_the_tempo_asked(songs_model, tmp_path, capsys):
    from melody.cli.program import main

    out = tmp_path / "out"
    args = ["generate", "--model", str(songs_model), "-n", "2", "--seed", "2", "--out", str(out), "--json"]
    assert main([*args, "--tracks", "melody,PIANO", "--tempo", "72", "--max-tokens", "600"]) == 0
    for piece in json.loads(capsys.readouterr().out)["pieces"]:
        midi = pretty_midi.PrettyMIDI(piece["midi"])
        assert [i.name for i in midi.instruments] == ["MELODY", "PIANO"]
        assert [round(bpm, 3) for bpm in midi.get_tempo_changes()[1]] == [72.0]
    assert main(["generate", "--model", str(songs_model), "--tracks", "lead", "--out", str(out)]) == 1
    assert "this model's tracks are MELODY (melody), BRIDGE (chords), PIANO (bass)" in capsys.readouterr().err


def test_accompaniment_keeps_the_melody_exactly_and_writes_the_other_voices_in_its_key(songs_model, tmp_path, capsys):
    from melody.cli.program import main
    from melody.music.theory import estimate_key
    from melody.tokenizers.events import key_token

    tune = tmp_path / "tune.mid"
    assert main(["convert", str(DATA / "folk_sample.abc"), str(tune), "--tune", "2"]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    args = ["generate", "--model", str(songs_model), "--accompany", str(tune), "-n", "2", "--seed", "1"]
    assert main([*args, "--out", str(out), "--json"]) == 0
    given = pretty_midi.PrettyMIDI(str(tune)).instruments[0].notes
    _, tonic, mode = key_token(estimate_key(midi_to_score(tune))).split("_")
    scale = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10, 11)}[mode]
    for piece in json.loads(capsys.readouterr().out)["pieces"]:
        midi = pretty_midi.PrettyMIDI(piece["midi"])
        melody, others = midi.instruments[0], midi.instruments[1:]
        assert [(n.pitch, round(n.start, 3), round(n.end, 3)) for n in melody.notes] == [
            (n.pitch, round(n.start, 3), round(n.end, 3)) for n in given
        ]
        pitches = [n.pitch for track in others for n in track.notes]
        assert pitches and sum((p - int(tonic)) % 12 in scale for p in pitches) >= 0.9 * len(pitches)
