"""The MIDI benches keep running (their figures in the README are claims only while they do), on
tiny inputs: the song fixture builder, the pretty_midi measure of a folder, and ingestion."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA

ROOT = Path(__file__).parents[1]


def _bench(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_song_fixtures_builds_a_folder_with_its_truth(tmp_path):
    _bench("bench/song_fixtures.py", str(tmp_path / "songs"), "3", "--declare", "1/4")
    truth = json.loads((tmp_path / "songs" / "truth.json").read_text())
    assert len(truth) == 3 and {t["declared"] for t in truth.values()} == {"1/4"}


@pytest.mark.slow
def test_midi_songs_measures_a_folder_with_pretty_midi():
    figures = json.loads(_bench("bench/midi_songs.py", str(DATA / "songs")))[str(DATA / "songs")]
    assert figures["files"] == 8 and figures["on_grid_%"] == 100.0 and figures["in_scale_%"] > 80


@pytest.mark.slow
def test_midi_ingest_runs_on_the_song_fixtures(tmp_path):
    report = json.loads(_bench("bench/midi_ingest.py", str(DATA / "songs")))
    assert report["files"] == 8 and report["round_trip_exact_pieces"] == "8/8"
    assert "miditok_remi_seconds" in report


@pytest.mark.slow
def test_midi_grid_compares_the_reader_with_the_truth():
    figures = json.loads(_bench("bench/midi_grid.py", str(DATA / "songs")))
    assert figures["files"] == 8 and figures["meter_and_bar_lines_found_%"] == 100.0


@pytest.mark.slow
def test_performance_fixtures_and_their_comparison_run(tmp_path):
    printed = _bench("bench/performance_fixtures.py", str(tmp_path / "played"), "2")
    assert "2 performances" in printed and len(list((tmp_path / "played").glob("*.mid"))) == 2
    report = json.loads(_bench("bench/performances.py", str(tmp_path / "played"), str(DATA / "pedalled")))
    assert report["corpus"]["files"] == 2 and report["generated"]["files"] == 3 and report["ratio"]["polyphony"] > 0


@pytest.mark.slow
def test_pop_fixtures_carry_a_placeholder_key_and_train_memory_runs(tmp_path):
    _bench("bench/song_fixtures.py", str(tmp_path / "pop"), "2", "--pop")
    truth = json.loads((tmp_path / "pop" / "truth.json").read_text())
    assert len(truth) == 2 and all(t["key"] and len(t["tracks"]) >= 3 for t in truth.values())
    report = json.loads(_bench("bench/train_memory.py", "1"))
    assert report["files"] == [1, 8] and report["ratio_8x_to_1x"] > 0
