"""The layers in pyproject.toml hold (music <- formats <- tokenizers <- network <- sampling <- training
<- evaluation, audio <- studio <- cli), and an upward import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("importlinter")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    lint = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-c", lint, "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_hold():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]


def _lint_with(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """The contracts checked on a copy of the package where `module` (a path in it) gains `line`."""
    shutil.copytree(ROOT / "melody", tmp_path / "melody", ignore=shutil.ignore_patterns("models", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    changed = tmp_path / "melody" / module
    changed.write_text(changed.read_text() + f"\n{line}  # noqa\n")
    return _lint(tmp_path)


def test_an_upward_import_breaks_them(tmp_path):
    done = _lint_with(tmp_path, "music/theory.py", "from melody.sampling.sampler import SampleConfig")
    assert done.returncode != 0
    assert "melody.music.theory -> melody.sampling.sampler" in done.stdout


def test_training_importing_the_sampler_breaks_their_independence(tmp_path):
    """What training measures reaches the sampler through the model file, never an import."""
    done = _lint_with(tmp_path, "training/statistics.py", "from melody.sampling.priors import kept_tracks")
    assert done.returncode != 0 and "training and sampling stand apart BROKEN" in done.stdout


def test_the_studio_reaching_past_the_api_breaks_its_contract(tmp_path):
    done = _lint_with(tmp_path, "studio/tunes.py", "from melody.sampling.pieces import safe_name")
    assert done.returncode != 0 and "the studio goes through the API BROKEN" in done.stdout
