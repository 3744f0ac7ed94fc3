"""DistributedDataParallel on CPU with the gloo backend: two processes act as one bigger batch."""

import json
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from melody.network.checkpoint import load_model
from tests.conftest import FOLK_SAMPLE, TINY_TRAIN_FLAGS

BATCH = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gradients_after_one_step(rank: int, world: int, port: int, cache: str, out: str) -> None:
    os.environ.update(
        MELODY_CACHE=cache,
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        WORLD_SIZE=str(world),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    from melody.network.model import ModelConfig, stream_rows
    from melody.training import distributed
    from melody.training.data import prepare_corpus, window
    from melody.training.train import TrainConfig, Trainer

    corpus = prepare_corpus([str(FOLK_SAMPLE)], val_fraction=0.1)
    config = TrainConfig(seq_len=16, batch_size=BATCH, max_steps=1, epochs=None, seed=2)
    model_config = ModelConfig(len(corpus.tokenizer), hidden_size=24, embed_dim=8, dropout=0.0)
    trainer = Trainer(corpus, model_config, config, os.path.join(out, f"run{rank}"))
    rows = stream_rows(trainer.epoch_stream(), BATCH)
    share = BATCH // trainer.world
    x, y = window(torch.from_numpy(rows[rank * share : (rank + 1) * share].astype("int64")), 0, 16)
    trainer.train_step(x, y)
    grads = {name: p.grad.clone() for name, p in trainer.model.named_parameters()}
    torch.save(grads, os.path.join(out, f"grads_{world}_{rank}.pt"))
    distributed.stop()


@pytest.mark.slow
def test_two_process_gradients_equal_one_process_on_the_same_global_batch(tmp_path):
    cache = str(tmp_path / "cache")
    _gradients_after_one_step(0, 1, _free_port(), cache, str(tmp_path))
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        os.environ.pop(key, None)
    mp.spawn(_gradients_after_one_step, args=(2, _free_port(), cache, str(tmp_path)), nprocs=2, join=True)
    single = torch.load(tmp_path / "grads_1_0.pt", weights_only=True)
    for rank in (0, 1):
        shared = torch.load(tmp_path / f"grads_2_{rank}.pt", weights_only=True)
        for name in single:
            torch.testing.assert_close(shared[name], single[name], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_torchrun_two_processes_write_one_checkpoint_that_loads_alone(tmp_path):
    run = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "melody",
        "train",
        str(FOLK_SAMPLE),
        "--out",
        str(run),
        "--max-steps",
        "4",
        "--hidden-size",
        "16",
        *TINY_TRAIN_FLAGS,
        "--val-fraction",
        "0.1",
        "--json",
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1", MELODY_CACHE=str(tmp_path / "cache"))
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    said = [line for line in result.stderr.splitlines() if "error" in line.lower() and "melody" in line]
    assert result.returncode == 0, "\n".join(said) + "\n" + result.stderr[-1500:]
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["steps"] == 4
    assert sorted(p.name for p in run.glob("*.safetensors")) == ["best.safetensors", "last.safetensors"]
    assert load_model(run).training["steps"] == 4
