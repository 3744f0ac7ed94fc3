"""Crash safety: Ctrl-C or SIGKILL at any moment leaves a loadable checkpoint, and a resumed run in a
new process ends exactly where an uninterrupted one does."""

import json
import random
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from melody.network.checkpoint import load_model, load_train_state
from tests.conftest import FOLK_SAMPLE, TINY_TRAIN_FLAGS

STEPS = 40


def _command(run_dir, *extra):
    return [
        sys.executable,
        "-m",
        "melody",
        "train",
        str(FOLK_SAMPLE),
        "--out",
        str(run_dir),
        "--max-steps",
        str(STEPS),
        "--hidden-size",
        "32",
        *TINY_TRAIN_FLAGS,
        "--seed",
        "3",
        "--log-every",
        "1",
        "--checkpoint-every",
        "3",
        "--val-fraction",
        "0.1",
        *extra,
    ]


def _start_and_stop(run_dir, how, wait_for_step):
    process = subprocess.Popen(
        _command(run_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=_env()
    )
    metrics = run_dir / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= wait_for_step:
            break
        time.sleep(0.02)
    process.send_signal(how)
    process.wait(timeout=120)
    return process.returncode


def _env():
    import os

    return dict(os.environ, OMP_NUM_THREADS="1")


def _losses(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    by_step = {r["step"]: (r["loss"], r["lr"], r["grad_norm"]) for r in records if "loss" in r}
    return [by_step[s] for s in sorted(by_step)]


@pytest.mark.slow
def test_interrupted_and_resumed_in_a_new_process_equals_one_uninterrupted_run(tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    subprocess.run(_command(straight), check=True, capture_output=True, env=_env(), timeout=300)
    assert _start_and_stop(resumed, signal.SIGINT, wait_for_step=7) == 130
    stopped_at = load_train_state(resumed / "train_state.pt")
    assert 0 < json.loads(stopped_at["progress"])["step"] < STEPS
    subprocess.run(
        _command(resumed, "--resume", str(resumed)), check=True, capture_output=True, env=_env(), timeout=300
    )
    a, b = load_file(straight / "last.safetensors"), load_file(resumed / "last.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert _losses(straight) == _losses(resumed) and len(_losses(straight)) == STEPS


@pytest.mark.slow
def test_sigkill_at_random_moments_always_leaves_a_checkpoint_that_loads_and_resumes(tmp_path):
    run_dir = tmp_path / "run"
    chance = random.Random(7)
    for _ in range(3):
        command = _command(run_dir, "--resume", str(run_dir)) if (run_dir / "train_state.pt").exists() else None
        if command is None:
            _start_and_stop(run_dir, signal.SIGKILL, wait_for_step=chance.randint(4, 12))
        else:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
            time.sleep(chance.uniform(3.5, 6.0))
            process.kill()
            process.wait(timeout=60)
        model = load_model(run_dir / "last.safetensors")
        state = load_train_state(run_dir / "train_state.pt")
        # two files, each replaced atomically: a kill between them leaves them one checkpoint apart
        assert abs(model.training["steps"] - json.loads(state["progress"])["step"]) <= 3
    subprocess.run(
        _command(run_dir, "--resume", str(run_dir)), check=True, capture_output=True, env=_env(), timeout=300
    )
    assert load_model(run_dir / "last.safetensors").training["steps"] == STEPS
