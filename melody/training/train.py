"""Training: truncated BPTT over contiguous streams, AdamW, clipping, warm-up + decay, checkpoints."""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from melody.errors import ConfigError, ModelFileError
from melody.network.checkpoint import load_train_state, save_model_file, save_train_state
from melody.network.model import ModelConfig, SequenceModel, detach_state, stream_bits, stream_rows
from melody.training import distributed
from melody.training.config import TrainConfig, fit_to_corpus, pick_device
from melody.training.data import TokenizedCorpus, shuffled_stream, window, windows_per_epoch


class _DeferredInterrupt:
    """Ctrl-C (SIGINT) during training only sets a flag; the loop stops at the next step boundary,
    so the checkpoint it saves is consistent (weights, optimizer, step and data position agree)."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum, frame) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


# kept beside the corpus summary in a model file, not inside it
KEPT_APART = (
    "failed_files",
    "train_hashes",
    "training_bars",
    "titles",
    "forms",
    "pitch_classes",
    "voices",
    "sounding",
)


class Trainer:
    """Owns the model, optimizer and data position; `run()` trains until a limit and checkpoints."""

    def __init__(
        self,
        corpus: TokenizedCorpus,
        model_config: ModelConfig,
        config: TrainConfig,
        run_dir: str | Path,
        progress: Callable[[dict], None] | None = None,
    ):
        self.corpus, self.run_dir = corpus, Path(run_dir)
        self.rank, self.world, device_name = distributed.start(config.device)
        self.progress = (progress or (lambda event: None)) if self.rank == 0 else (lambda event: None)
        self.config = config = fit_to_corpus(config, int(corpus.train.size), self.world, self.progress)
        if config.transpose:
            corpus.tokenizer.require("transpose")
        if config.batch_size % self.world:
            raise ConfigError(f"`batch_size` {config.batch_size} must divide among {self.world} processes")
        self.device = pick_device(device_name)
        torch.manual_seed(config.seed)  # the same initial weights on every rank
        self.model = SequenceModel(model_config).to(self.device)
        self.net = self.model
        # bf16 keeps float32's range, so it needs no grad scaler. "auto" is float32 (TF32 on CUDA): on an
        # H200 the shipped 2x512 config trained at 286k tokens/s in float32 and 233k with bf16 autocast.
        self.autocast = config.precision == "bfloat16"
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        if self.world > 1:  # each rank trains on its own rows; gradients are averaged across ranks
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(self.model)
        if config.compile:
            self.net = torch.compile(self.net)
        decay = [p for n, p in self.model.named_parameters() if p.dim() >= 2 and "embed" not in n]
        other = [p for n, p in self.model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": other, "weight_decay": 0.0}],
            lr=config.lr,
        )
        self.step, self.epoch, self.window_index = 0, 0, 0
        self.best_val, self.plateau_scale, self.elapsed = math.inf, 1.0, 0.0
        self.carry = None
        self.history: list[dict] = []
        self.rng_state = torch.get_rng_state()  # dropout's randomness, restored when run() starts

    # -- schedule -------------------------------------------------------------------------
    def steps_per_epoch(self) -> int:
        tokens = self.corpus.train.size
        return max(1, (tokens // self.config.batch_size - 1) // self.config.seq_len)

    def planned_steps(self) -> int | None:
        limits = []
        if self.config.max_steps is not None:
            limits.append(self.config.max_steps)
        if self.config.epochs is not None:
            limits.append(self.config.epochs * self.steps_per_epoch())
        return min(limits) if limits else None

    def fraction_done(self) -> float:
        fractions = [0.0]
        planned = self.planned_steps()
        if planned:
            fractions.append(self.step / planned)
        if self.config.max_minutes:
            fractions.append(self.elapsed / (60 * self.config.max_minutes))
        return min(1.0, max(fractions))

    def learning_rate(self) -> float:
        c = self.config
        if self.step < c.warmup_steps:
            return c.lr * (self.step + 1) / c.warmup_steps
        if c.schedule == "cosine":
            ratio = c.min_lr_ratio + (1 - c.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * self.fraction_done()))
            return c.lr * ratio
        if c.schedule == "plateau":
            return c.lr * self.plateau_scale
        return c.lr

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        carry = self.carry if isinstance(self.carry, tuple) else ((self.carry,) if self.carry is not None else ())
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "model_config": json.dumps(self.model.config.to_dict()),
            "train_config": json.dumps(self.config.to_dict()),
            "vocab": json.dumps(self.corpus.tokenizer.vocab),
            "progress": json.dumps(
                {
                    "step": self.step,
                    "epoch": self.epoch,
                    "window": self.window_index,
                    "best_val": None if math.isinf(self.best_val) else self.best_val,
                    "plateau_scale": self.plateau_scale,
                    "elapsed": self.elapsed,
                }
            ),
            "carry": [t.cpu() for t in carry],
            "rng_torch": torch.get_rng_state(),
            "torch_version": str(torch.__version__),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            progress = json.loads(state["progress"])
            carry = [t.to(self.device) for t in state["carry"]]
            self.rng_state = state["rng_torch"]
        except (KeyError, RuntimeError, ValueError, TypeError) as error:
            raise ModelFileError(f"training state does not fit this run ({str(error)[:160]})") from None
        self.step, self.epoch, self.window_index = progress["step"], progress["epoch"], progress["window"]
        self.best_val = progress["best_val"] if progress["best_val"] is not None else math.inf
        self.plateau_scale, self.elapsed = progress["plateau_scale"], progress["elapsed"]
        self.carry = None if not carry else (tuple(carry) if len(carry) == 2 else carry[0])

    def summary(self) -> dict[str, Any]:
        return {
            "steps": self.step,
            "epochs": round(self.step / self.steps_per_epoch(), 3),
            "best_val_bits_per_token": None if math.isinf(self.best_val) else self.best_val,
            "minutes": round(self.elapsed / 60, 2),
            "corpus": {k: v for k, v in self.corpus.summary.items() if k not in KEPT_APART},
        }

    def save(self, val_bits: float | None) -> None:
        """Rank 0 alone writes; the files are the same as a single-process run's."""
        if self.rank != 0:
            self.best_val = min(self.best_val, val_bits) if val_bits is not None else self.best_val
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        dtype = getattr(torch, self.config.save_dtype)
        training = self.summary() | {
            "train_config": self.config.to_dict(),
            "train_hashes": self.corpus.summary.get("train_hashes", []),  # what evaluate checks new files against
            "training_bars": self.corpus.summary.get("training_bars"),  # what a tune's copies are measured against
            "titles": self.corpus.summary.get("titles"),  # the title model (titles.py), for ABC corpora
            "forms": self.corpus.summary.get("forms"),  # the training tunes' forms per type (abc tokens)
            "pitch_classes": self.corpus.summary.get("pitch_classes"),  # per mode, for event models
            "voices": self.corpus.summary.get("voices"),  # the corpus's layout of voices and registers
            "sounding": self.corpus.summary.get("sounding"),  # performances: longest usual note, most at once
        }
        save_model_file(self.run_dir / "last.safetensors", self.model, self.corpus.tokenizer, training, dtype)
        if val_bits is not None and val_bits <= self.best_val:
            self.best_val = val_bits
            training["best_val_bits_per_token"] = val_bits
            save_model_file(self.run_dir / "best.safetensors", self.model, self.corpus.tokenizer, training, dtype)
        save_train_state(self.run_dir / "train_state.pt", self.state_dict())

    def log(self, record: dict) -> None:
        self.history.append(record)
        if self.rank != 0:
            return
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    # -- loop -----------------------------------------------------------------------------
    def validate(self) -> float | None:
        if self.corpus.val.size < 2:
            return None
        bits, count = stream_bits(self.model, self.corpus.val, self.config.batch_size, self.config.seq_len, self.device)
        return bits / count

    def bits_per_char(self, bits_per_token: float) -> float | None:
        """Validation bits per character of ABC text (<bos>/<eos> are not characters); None for scores."""
        if not self.corpus.val_characters:
            return None
        return bits_per_token * self.corpus.val.size / self.corpus.val_characters

    def finished(self) -> bool:
        planned = self.planned_steps()
        over_time = self.config.max_minutes is not None and self.elapsed >= 60 * self.config.max_minutes
        return over_time or (planned is not None and self.step >= planned)

    def end_of_epoch(self) -> None:
        val = self.validate()
        if val is not None and self.config.schedule == "plateau" and val > self.best_val:
            self.plateau_scale *= 0.5
        self.log(
            {"step": self.step, "epoch": self.epoch, "val_bits_per_token": val, "minutes": round(self.elapsed / 60, 3)}
        )
        self.save(val)
        self.progress({"kind": "eval", "step": self.step, "epoch": self.epoch, "val_bits_per_token": val})

    def epoch_stream(self) -> np.ndarray:
        """This epoch's training stream: pieces shuffled (and transposed, if asked) by seed and epoch."""
        seed = self.config.seed * 1_000_003 + self.epoch
        flat, offsets = self.corpus.train, self.corpus.train_offsets
        if self.config.transpose:
            flat = self.corpus.tokenizer.transpose(flat, offsets, self.config.transpose, seed)
        return shuffled_stream(flat, offsets, seed)

    def train_step(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One window of truncated BPTT; returns the loss and the gradient norm before clipping."""
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        try:
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                logits, state = self.net(x, self.carry)  # (B, T, V)
        except RuntimeError as error:
            if not self.autocast or not _no_bfloat16_kernel(error):
                raise  # out of memory and every other failure is not ours to hide
            self.autocast = False  # this device's LSTM kernels have no bfloat16 version: float32 it is
            self.progress({"kind": "warning", "message": "no bfloat16 LSTM on this device; training in float32"})
            logits, state = self.net(x, self.carry)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.optimizer.step()
        self.carry = detach_state(state)
        self.step += 1
        return loss.detach(), norm

    def run(self) -> dict[str, Any]:
        """Train until the first limit. Ctrl-C stops at a step boundary and saves before it propagates."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        torch.set_rng_state(self.rng_state)
        self.progress(
            {
                "kind": "start",
                "steps_per_epoch": self.steps_per_epoch(),
                "tokens_per_step": self.config.batch_size * self.config.seq_len,
                "train_tokens": int(self.corpus.train.size),
                # the minutes this session may train (a resumed run's limit counts its earlier minutes too)
                "max_minutes": None
                if self.config.max_minutes is None
                else round(self.config.max_minutes - self.elapsed / 60, 2),
            }
        )
        started = time.perf_counter()
        try:
            with _DeferredInterrupt() as interrupt:
                tokens, eval_seconds = self._train_until_done(interrupt)
        except KeyboardInterrupt:
            self.save(None)
            raise
        train_seconds = time.perf_counter() - started - eval_seconds
        val = self.validate()
        self.log({"step": self.step, "epoch": self.epoch, "val_bits_per_token": val, "final": True})
        self.save(val)
        return self.summary() | {
            "run_dir": str(self.run_dir),
            "checkpoint": str(self.run_dir / ("best.safetensors" if val is not None else "last.safetensors")),
            "val_bits_per_token": val,
            "val_bits_per_char": None if val is None else self.bits_per_char(val),
            "tokens_per_second": round(tokens / max(1e-9, train_seconds), 1),
        }

    def train_more(self, steps: int) -> None:
        """`steps` more steps, with no validation or save at the end: for callers that measure the
        model between stretches (bench/time_to_quality.py). Ctrl-C is not deferred here."""
        self.config = replace(self.config, max_steps=self.step + steps)
        self._train_until_done(SimpleNamespace(requested=False))

    def _train_until_done(self, interrupt: _DeferredInterrupt) -> tuple[int, float]:
        """The loop: epochs of contiguous windows. Returns (tokens trained, seconds spent validating)."""
        cfg = self.config
        start = time.perf_counter() - self.elapsed
        meter = _Meter(self.device)
        tokens, eval_seconds = 0, 0.0
        while not self.finished():
            rows = stream_rows(self.epoch_stream(), cfg.batch_size)
            share = cfg.batch_size // self.world
            rows = rows[self.rank * share : (self.rank + 1) * share]  # this rank's rows of the global batch
            rows_t = torch.from_numpy(rows.astype(np.int64)).to(self.device)
            count = windows_per_epoch(rows, cfg.seq_len)
            if count == 0:  # fit_to_corpus makes room for one window; never spin on empty epochs
                raise ConfigError(f"the corpus is too small for one window of {cfg.seq_len} tokens")
            if self.window_index == 0:
                self.carry = None
            self.model.train()
            while self.window_index < count and not self.finished():
                x, y = window(rows_t, self.window_index, cfg.seq_len)  # (B, T) each
                loss, norm = self.train_step(x, y)
                self.window_index += 1
                tokens += x.numel() * self.world
                meter.add(loss, norm, x.numel() * self.world)
                self.elapsed = time.perf_counter() - start
                if self.step % cfg.log_every == 0:
                    record = {"step": self.step, "epoch": self.epoch, "lr": self.learning_rate()} | meter.read()
                    self.log(record)
                    self.progress({"kind": "step", "fraction": self.fraction_done()} | record)
                if self.step % cfg.checkpoint_every == 0:
                    self.save(None)  # a SIGKILL loses at most checkpoint_every steps
                if interrupt.requested:
                    raise KeyboardInterrupt
            if self.window_index >= count:
                self.epoch += 1
                self.window_index = 0
                eval_started = time.perf_counter()
                self.end_of_epoch()
                eval_seconds += time.perf_counter() - eval_started
        return tokens, eval_seconds


def _no_bfloat16_kernel(error: RuntimeError) -> bool:
    """Whether an error says the device has no bfloat16 version of a kernel."""
    text = str(error).lower()
    return ("bfloat16" in text or "bf16" in text) and ("not implemented" in text or "not supported" in text)


class _Meter:
    """Loss and gradient-norm sums kept on the device, read (one host sync) only when logged."""

    def __init__(self, device):
        self.loss = torch.zeros((), device=device)
        self.norm = torch.zeros((), device=device)
        self.norm_max = torch.zeros((), device=device)
        self.steps, self.tokens, self.started = 0, 0, time.perf_counter()

    def add(self, loss: torch.Tensor, norm: torch.Tensor, tokens: int) -> None:
        self.loss += loss
        self.norm += norm
        self.norm_max = torch.maximum(self.norm_max, norm)
        self.steps += 1
        self.tokens += tokens

    def read(self) -> dict[str, float]:
        steps = max(1, self.steps)
        record = {
            "loss": self.loss.item() / steps,
            "grad_norm": self.norm.item() / steps,
            "grad_norm_max": self.norm_max.item(),
            "tokens_per_second": round(self.tokens / max(1e-9, time.perf_counter() - self.started), 1),
        }
        self.__init__(self.loss.device)
        return record


def warm_start(network: SequenceModel, source: SequenceModel, source_vocab: list[str], vocab: list[str]) -> int:
    """Start `network` from a trained model's weights: the recurrent layers as they are, the token
    rows of the embedding and output layer token by token, so a vocabulary that grew (new tune
    types, a user's new keys) keeps all the old model knew. Returns how many tokens carried over."""
    if (network.config.cell, network.config.embed_dim, network.config.hidden_size, network.config.num_layers) != (
        source.config.cell,
        source.config.embed_dim,
        source.config.hidden_size,
        source.config.num_layers,
    ):
        raise ConfigError("`init_from`: the model's cell and sizes differ from this run's; leave those flags out")
    network.rnn.load_state_dict(source.rnn.state_dict())
    where = {token: i for i, token in enumerate(source_vocab)}
    shared = [(i, where[token]) for i, token in enumerate(vocab) if token in where]
    new, old = (torch.tensor(ids, dtype=torch.long) for ids in zip(*shared))
    with torch.no_grad():
        network.embed.weight[new] = source.embed.weight[old].to(network.embed.weight)
        network.head.weight[new] = source.head.weight[old].to(network.head.weight)
        network.head.bias[new] = source.head.bias[old].to(network.head.bias)
    return len(shared)


def resume_trainer(corpus: TokenizedCorpus, run_dir: str | Path, progress=None, **overrides) -> Trainer:
    """A Trainer carrying on from `run_dir/train_state.pt`; limits may be raised via overrides
    (`max_minutes`: minutes more than the run has trained)."""
    state = load_train_state(Path(run_dir) / "train_state.pt")
    try:
        if overrides.get("max_minutes") is not None:
            overrides["max_minutes"] += json.loads(state["progress"])["elapsed"] / 60
        model_config = ModelConfig.from_dict(json.loads(state["model_config"]))
        config = TrainConfig.from_dict(json.loads(state["train_config"]) | overrides)
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"training state is damaged ({error})", str(run_dir)) from None
    if json.loads(state.get("vocab", "null")) != corpus.tokenizer.vocab:
        raise ModelFileError(
            "this corpus has another vocabulary than the run; resume with the same corpus", str(run_dir)
        )
    if state.get("torch_version") != str(torch.__version__):
        progress and progress(
            {
                "kind": "warning",
                "message": f"resuming a run made with torch {state.get('torch_version')}; results may differ slightly",
            }
        )
    trainer = Trainer(corpus, model_config, config, run_dir, progress)
    trainer.load_state(state)
    return trainer
