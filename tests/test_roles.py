"""Roles from what a track is called first, in the languages people name tracks in; then its General
MIDI sound; then its notes. `melody corpus` says which decided."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from melody.cli.program import main
from melody.formats.midi import midi_to_score, score_to_midi_bytes
from melody.music.roles import role_of_name, voice_roles_and_evidence
from tests.conftest import DATA

NAMES = {
    "melody": ["MELODY", "Melody 2", "Lead Vox", "Vocals", "Gesang", "Mélodie", "Canto", "Soprano", "Voz"],
    "bass": ["Bass", "Basso", "Bajo eléctrico", "Basse", "Fretless Bass 1"],
    "chords": ["Chords", "Pad", "Akkorde", "Comp"],
    "drums": ["Drums", "Batería", "Schlagzeug", "Percussion", "Bass Drum"],
    "other": ["Alto", "Tenor", "Countermelody"],
}


@pytest.mark.parametrize("role", sorted(NAMES))
def test_a_name_says_its_role_in_any_of_the_languages(role):
    assert [role_of_name(name) for name in NAMES[role]] == [role] * len(NAMES[role])


def test_instrument_names_and_unnamed_tracks_leave_the_role_to_the_notes():
    assert role_of_name("Piano") is None and role_of_name("BRIDGE") is None and role_of_name("Track 3") is None


def test_the_named_melody_stays_the_melody_below_a_higher_counter_line(tmp_path, capsys):
    """A song's tracks as a sequencer exports them: MELODY an octave under its BRIDGE counter-line,
    a PIANO playing the low voices, all on program 0, in several languages: every role from the
    name, the piano's from its notes, and `melody corpus` says so."""
    song = midi_to_score(DATA / "bwv66.6.mid")  # soprano, alto, tenor, bass
    low_melody = tuple(replace(n, pitch=n.pitch - 12) if n.voice == 0 else n for n in song.notes)
    for number, names in enumerate([("MELODY", "BRIDGE", "Basso", "Bajo"), ("Gesang", "Alto", "Tenor", "Bass")]):
        moved = tuple(replace(n, pitch=n.pitch + number) for n in low_melody)  # two songs, not one twice
        named = replace(song, notes=moved, names=names, programs=(0, 0, 0, 0), reading={})
        (tmp_path / f"song{number}.mid").write_bytes(score_to_midi_bytes(named))
        roles = voice_roles_and_evidence(midi_to_score(tmp_path / f"song{number}.mid"))
        assert roles[0] == ("melody", "name")
    assert main(["corpus", str(tmp_path), "--json"]) == 0
    tracks = {
        t["name"]: (t["role"], t["role_from"])
        for row in json.loads(capsys.readouterr().out)["files"]
        for t in row["tracks"]
    }
    assert tracks["MELODY"] == ("melody", "name") and tracks["Gesang"] == ("melody", "name")
    assert tracks["Basso"] == ("bass", "name") and tracks["Alto"] == ("other", "name")
    assert tracks["BRIDGE"] == ("other", "notes")  # above the melody, but the name has taken that role


def test_placeholder_c_major_signatures_give_way_to_the_key_of_the_notes(capsys):
    """Pop songs exported with C major written on every file, in other keys: the key found is the
    one music21 finds in the music (bench/song_fixtures.py --pop wrote it to truth.json)."""
    from melody.tokenizers.events import key_token

    truth = json.loads((DATA / "pop" / "truth.json").read_text())
    assert main(["corpus", str(DATA / "pop"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for row in report["files"]:
        expected = truth[row["file"].split("/")[-1]]["key"]
        assert row["key_declared"] == "C" and key_token(row["key_found"]) == key_token(expected), row
        assert row["key_evidence"].startswith("found")
    assert report["summary"]["keys_corrected"] == len(truth)
