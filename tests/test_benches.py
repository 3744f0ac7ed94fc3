"""Every bench keeps running, on tiny inputs: a figure in docs/benchmarks.md is a claim only while
its script runs. The MIDI benches, whose outputs are checked too, are in test_benches_midi.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FOLK_SAMPLE, needs_abc2midi

ROOT = Path(__file__).parents[1]
FOLK = str(FOLK_SAMPLE)
TINY_NET = ["--embed-dim", "8", "--hidden-size", "16", "--layers", "1"]
pytestmark = pytest.mark.slow

# bench -> arguments that make it run in seconds; {tmp} is the test's own folder
SMOKE = {
    "batch_shape.py": ["--corpus", FOLK, "--seconds", "1", "--shapes", "4x16"],
    "export_corpus.py": [FOLK, "abc", "{tmp}/folk_abc.npz"],
    "form_sampling.py": ["-n", "2", "--types", "reel"],
    "ingest.py": [FOLK],
    "midi_pickups.py": ["--per-collection", "2"],
    "mit_baseline.py": ["--corpus", FOLK, "--steps", "10", "--eval-every", "10"],
    "sampling.py": ["--count", "2", "--max-tokens", "20", "--rounds", "1", "--singles", "1"],
    "speed.py": ["--corpus", FOLK, "--steps", "5", *TINY_NET, "--batch-size", "4", "--seq-len", "16"]
    + ["--count", "2", "--max-tokens", "20"],
    "step_kernels.py": ["--threads", "1", "--batches", "1", "2"],
    "studio_latency.py": ["--trials", "1"],
    "tells.py": ["-n", "12", "--books", "24", "--abac", "2"],
    "time_to_quality.py": ["--corpus", FOLK, "--mit-steps", "4", "--check-every", "2"],
}
ABC2MIDI_SMOKE = {
    "abc2midi_agreement.py": [str(ROOT / "tests/data/repeats.abc")],
    "checker_keeps.py": [str(ROOT / "tests/data/repeats.abc")],
    "round_trips.py": ["--limit", "3", "--only", "tests/data"],
}
COVERED_ELSEWHERE = {  # test_benches_midi.py, and
    "song_fixtures.py",
    "midi_grid.py",
    "midi_ingest.py",
    "midi_songs.py",
    "performance_fixtures.py",
    "performances.py",
    "train_memory.py",
    "quickstart.py",  # test_notebook.py runs the notebook through it
}
HELPERS = {"abc_books.py"}  # imported by benches, not one itself


def _run(command: list[str], tmp_path: Path, env: dict | None = None) -> str:
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _bench(name: str, arguments: list[str], tmp_path: Path) -> str:
    return _run([sys.executable, f"bench/{name}", *(a.format(tmp=tmp_path) for a in arguments)], tmp_path)


def test_every_bench_has_a_smoke_run():
    benches = {path.name for path in (ROOT / "bench").glob("*.py")}
    assert benches - HELPERS == set(SMOKE) | set(ABC2MIDI_SMOKE) | COVERED_ELSEWHERE | {"train_cached.py"}


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_bench_runs(name, tmp_path):
    assert _bench(name, SMOKE[name], tmp_path).strip()


def test_the_per_type_table_runs(tmp_path):
    table = _bench("tells.py", ["--types", "-n", "2", "--books", "12"], tmp_path)
    assert "| reel |" in table and "nothing to compare with" in table  # the books hold no polkas


@needs_abc2midi
@pytest.mark.parametrize("name", sorted(ABC2MIDI_SMOKE))
def test_abc2midi_bench_runs(name, tmp_path):
    assert _bench(name, ABC2MIDI_SMOKE[name], tmp_path).strip()


def test_a_cached_corpus_trains(tmp_path):
    _bench("export_corpus.py", SMOKE["export_corpus.py"], tmp_path)
    out = _bench(
        "train_cached.py", [f"{tmp_path}/folk_abc.npz", f"{tmp_path}/run", *TINY_NET, "--epochs", "1"], tmp_path
    )
    assert (tmp_path / "run" / "last.safetensors").exists() or (tmp_path / "run" / "best.safetensors").exists(), out


def test_the_gpu_scripts_run_or_parse(tmp_path):
    out = _run(
        ["bash", "bench/gpu_sampling.sh", "--count", "2", "--max-tokens", "20", "--rounds", "1", "--singles", "1"],
        tmp_path,
        {"DEVICE": "cpu", "OUT": str(tmp_path)},
    )
    assert out.count('"n2_vs_n1"') == 2, out[-2000:]
    _run(["bash", "-n", "bench/gpu_session.sh"], tmp_path)  # needs a card and .gpu/ corpora: parsed only
