"""Shared fixtures: real ABC from tests/data/, a private corpus cache, one tiny trained model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FOLK_SAMPLE = DATA / "folk_sample.abc"


# A model small enough to train in seconds from the command line (hidden size given per test).
TINY_TRAIN_FLAGS = ["--embed-dim", "8", "--batch-size", "4", "--seq-len", "16"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets its own corpus cache, and none touches the user's ~/.cache."""
    monkeypatch.setenv("MELODY_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> dict:
    """A small LSTM trained for a few dozen steps on real folk tunes: enough to test the plumbing."""
    from melody.network.model import ModelConfig
    from melody.training.data import prepare_corpus
    from melody.training.train import TrainConfig, Trainer

    corpus = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    run_dir = tmp_path_factory.mktemp("tiny_run")
    config = TrainConfig(
        seq_len=32, batch_size=8, lr=1e-2, warmup_steps=5, max_steps=60, epochs=None, log_every=5, seed=1
    )
    trainer = Trainer(
        corpus, ModelConfig(len(corpus.tokenizer), hidden_size=48, embed_dim=16, num_layers=1), config, run_dir
    )
    result = trainer.run()
    return {"result": result, "run_dir": run_dir, "trainer": trainer, "corpus": corpus}


def abc2midi_errors(abc_path: Path, tmp_path: Path) -> list[str]:
    """Lines in which Debian's abc2midi reports an Error for the first tune of a file (with -o it
    converts only that one): our independent check that the ABC we write is valid."""
    import subprocess

    result = subprocess.run(
        ["abc2midi", str(abc_path), "-o", str(tmp_path / "check.mid")], capture_output=True, text=True, timeout=60
    )
    return [line for line in (result.stdout + result.stderr).splitlines() if "Error" in line]


_skip_without_abc2midi = pytest.mark.skipif(
    shutil.which("abc2midi") is None and not os.environ.get("CI"),  # in CI a missing abc2midi fails
    reason="abc2midi (Debian package abcmidi) not installed",
)


def needs_abc2midi(test):
    """Marks a test that calls Debian's abc2midi (pytest -m abc2midi) and skips it where none is installed."""
    return pytest.mark.abc2midi(_skip_without_abc2midi(test))
