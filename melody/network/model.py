"""The network: Embedding -> stacked LSTM/GRU/RNN -> Linear, one prediction per input step."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from melody.errors import InputError
from melody.network.config import ModelConfig
from melody.network.cpu_matmul import PackedLinear

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}  # config.CELL_NAMES, as torch modules
State = Any  # (h, c) for LSTM, h for GRU/RNN; each (layers, B, hidden)


class SequenceModel(nn.Module):
    """Many-to-many recurrent language model. The same module trains on windows and samples
    step by step: pass the returned state back in to continue where the last call stopped."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.rnn = CELLS[config.cell](
            config.embed_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        x = self.embed(ids)  # (B, T, E)
        out, state = self.rnn(x, state)  # (B, T, H)
        return self.head(self.drop(out)), state  # (B, T, V)

    def step(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State]:
        """One token per row: (B,) ids -> (B, V) logits. The same numbers (to float rounding) as
        forward() on a length-1 sequence. For LSTMs on CPU it multiplies prepacked weights directly:
        nn.LSTM's per-call set-up costs more than one step's arithmetic, and a plain matmul repacks
        the weights on every call (see network/cpu_matmul.py)."""
        if self.config.cell != "lstm" or ids.is_cuda or self.training:
            logits, state = self.forward(ids[:, None], state)
            return logits[:, -1], state
        layers, head = self.step_weights()
        x = self.embed(ids)  # (B, E)
        batch, hidden = ids.shape[0], self.config.hidden_size
        if state is None:
            zeros = x.new_zeros(self.config.num_layers, batch, hidden)
            state = (zeros, zeros)
        h_all, c_all = state
        new_h, new_c = [], []
        for layer, weights in enumerate(layers):
            gates = weights(torch.cat([x, h_all[layer]], dim=1))  # (B, 4H)
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c_all[layer] + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            new_h.append(x)
            new_c.append(c)
        return head(x), (torch.stack(new_h), torch.stack(new_c))

    def step_weights(self) -> tuple[list[PackedLinear], PackedLinear]:
        """Per layer [W_ih W_hh] with b_ih + b_hh, and the output layer, packed once per set of weights."""
        versions = tuple(  # checked every step, so read the parameter dicts directly
            (p.data_ptr(), p._version) for module in (self.rnn, self.head) for p in module._parameters.values()
        )
        if getattr(self, "_step_cache", (None, None))[0] != versions:
            layers = []
            for k in range(self.config.num_layers):
                w = torch.cat([getattr(self.rnn, f"weight_ih_l{k}"), getattr(self.rnn, f"weight_hh_l{k}")], dim=1)
                b = getattr(self.rnn, f"bias_ih_l{k}") + getattr(self.rnn, f"bias_hh_l{k}")
                layers.append(PackedLinear(w.detach(), b.detach()))
            head = PackedLinear(self.head.weight.detach(), self.head.bias.detach())
            self._step_cache = (versions, (layers, head))
        return self._step_cache[1]

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def detach_state(state: State) -> State:
    """Cut the graph between windows (truncated BPTT) but keep the values."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def repeat_state(state: State, count: int) -> State:
    """A one-row state copied to `count` rows (pieces that share their start)."""
    if isinstance(state, tuple):
        return tuple(s.repeat(1, count, 1) for s in state)
    return state.repeat(1, count, 1)


def select_state(state: State, rows: torch.Tensor) -> State:
    """Keep only some batch rows of a state (used to drop finished pieces while sampling)."""
    if isinstance(state, tuple):
        return tuple(s[:, rows] for s in state)
    return state[:, rows]


@torch.no_grad()
def stream_rows(stream: np.ndarray, rows: int) -> np.ndarray:
    """Cut one long stream into `rows` contiguous rows, so state can carry from window to window."""
    length = stream.size // rows
    if length < 2:
        raise InputError(f"corpus too small for {rows} rows; lower --batch-size")
    return stream[: rows * length].reshape(rows, length)  # (B, L)


def stream_bits(model, stream: np.ndarray, batch_size: int, seq_len: int, device) -> tuple[float, int]:
    """Total bits and token count for predicting `stream`, state carried across windows.

    The stream is cut into at most `batch_size` contiguous rows; every token but each row's first
    is predicted once, so the figure hardly depends on the window length."""
    with torch.no_grad():  # a graph carried over the whole stream would grow with the corpus
        return _stream_bits(model, stream, batch_size, seq_len, device)


def _stream_bits(model, stream: np.ndarray, batch_size: int, seq_len: int, device) -> tuple[float, int]:
    was_training = model.training
    model.eval()
    rows_count = max(1, min(batch_size, stream.size // 256))
    rows = torch.from_numpy(stream_rows(stream, rows_count).astype(np.int64)).to(device)  # (B, L)
    total = torch.zeros((), dtype=torch.float64, device=device)
    state = None
    for start in range(0, rows.shape[1] - 1, seq_len):
        x = rows[:, start : start + seq_len]
        y = rows[:, start + 1 : start + seq_len + 1]
        x = x[:, : y.shape[1]]
        logits, state = model(x, state)  # (B, T, V)
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum").double()
    model.train(was_training)
    count = rows.shape[0] * (rows.shape[1] - 1)
    return total.item() / math.log(2), count
