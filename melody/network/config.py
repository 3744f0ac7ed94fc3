"""A network's shape (ModelConfig), apart from torch so the command line can read its defaults
without importing torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from melody.errors import ConfigError

CELL_NAMES = ("lstm", "gru", "rnn")


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"
    embed_dim: int = 64
    hidden_size: int = 512
    num_layers: int = 2
    dropout: float = 0.1

    def __post_init__(self):
        if self.cell not in CELL_NAMES:
            raise ConfigError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELL_NAMES)}")
        if min(self.vocab_size, self.embed_dim, self.hidden_size, self.num_layers) < 1:
            raise ConfigError("vocab_size, embed_dim, hidden_size and num_layers must be positive")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout must be in [0, 1)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)
