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

from melody.corpus import TrackChoice, load_corpus
from melody.data import OFF_GRID, prepare_corpus, transposed
from melody.event_constraint import EventConstraint, EventState
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.roles import voice_roles
from melody.tokenizers.events import EventTokenizer
from melody.tokenizers.performance import PerformanceTokenizer
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
            assert max(abs(a.end - b.end) for a, b in whole) < 0.010


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
    moved = [tokenizer.vocab[i] for i in transposed(flat, np.array([0, len(ids)]), tokenizer, 5, seed=3)]
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
