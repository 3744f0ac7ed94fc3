"""How a run trains (TrainConfig, checked as it is made) and the batch shape a corpus can fill."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from melody.errors import ConfigError

SCHEDULES = ("cosine", "plateau", "constant")
SAVE_DTYPES = ("float32", "float16", "bfloat16")  # torch dtypes of these names
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class TrainConfig:
    seq_len: int = 128
    batch_size: int = 16  # 16 x 128 tokens a step: on 2 CPU cores, 0.09 bits/char better than 32 x 128
    # after 8 minutes (bench/batch_shape.py); more updates beat bigger ones at these budgets
    lr: float = 3e-3
    weight_decay: float = 0.01
    clip: float = 1.0
    warmup_steps: int = 100
    schedule: str = "cosine"
    min_lr_ratio: float = 0.05
    epochs: int | None = 20
    max_steps: int | None = None
    max_minutes: float | None = None
    seed: int = 0
    device: str = "auto"
    log_every: int = 20
    checkpoint_every: int = 250  # steps between checkpoints (besides each epoch's end and the last step)
    save_dtype: str = "float32"
    transpose: int = 0  # random transposition of training pieces by up to this many semitones
    precision: str = "auto"  # auto = float32 (measured faster for these LSTMs); bfloat16: autocast
    compile: bool = False  # torch.compile the network (the LSTM itself is one fused kernel already)
    init_from: str | None = None  # the model whose weights training starts from (fine-tuning)

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.save_dtype not in SAVE_DTYPES:
            raise ConfigError(f"`save_dtype` must be one of {', '.join(SAVE_DTYPES)}")
        if (
            min(self.seq_len, self.batch_size, self.log_every, self.checkpoint_every) < 1
            or self.lr <= 0
            or self.clip <= 0
        ):
            raise ConfigError("seq_len, batch_size, log_every, checkpoint_every, lr and clip must be positive")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError("`device` must be auto, cpu or cuda")
        if self.precision not in PRECISIONS:
            raise ConfigError("`precision` must be auto, float32 or bfloat16")
        if not 0 <= self.transpose <= 12:
            raise ConfigError("`transpose` must be between 0 and 12 semitones")
        if self.epochs is None and self.max_steps is None and self.max_minutes is None:
            raise ConfigError("give at least one of `epochs`, `max_steps`, `max_minutes`")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def pick_device(name: str):
    """The torch device `name` asks for ("auto": a GPU when there is one)."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("`device` cuda asked for, but torch sees no CUDA GPU")
    return torch.device(name)


MIN_WINDOW = 16  # tokens: shorter windows teach a recurrent network little


def fit_to_corpus(config: TrainConfig, tokens: int, world: int = 1, progress=None) -> TrainConfig:
    """The batch shape a corpus can fill: a corpus smaller than one step (`batch_size` rows of
    `seq_len` + 1 tokens) trains on shorter windows, then fewer rows, and says so; one too small
    for even `world` rows of 2 tokens is a one-line error."""
    rows, seq_len = config.batch_size, config.seq_len
    if tokens // rows >= seq_len + 1:
        return config
    seq_len = tokens // rows - 1
    if seq_len < MIN_WINDOW:
        rows = max(world, (tokens // (MIN_WINDOW + 1)) // world * world)
        seq_len = min(config.seq_len, tokens // rows - 1)
    if seq_len < 1:
        raise ConfigError(
            f"the corpus has {tokens} training tokens; one step needs at least {2 * world} "
            f"({config.batch_size} rows of {config.seq_len + 1} by default): add music"
        )
    if progress:
        progress(
            {
                "kind": "warning",
                "message": f"small corpus ({tokens} training tokens): training on {rows} rows of {seq_len} tokens "
                f"instead of {config.batch_size} of {config.seq_len}",
            }
        )
    return replace(config, batch_size=rows, seq_len=seq_len)
