"""melody's Python API (docs/api.md): `load` a model and `generate` or `vary` tunes, `read` files,
`train` on a corpus, `evaluate` a model. A `Tune` shows its engraving and sound in a notebook."""

from melody.api.models import Model, evaluate, header, holds_a_model, load, shipped, train
from melody.api.tunes import Tune, Tunes, read

__all__ = [
    "Model",
    "Tune",
    "Tunes",
    "evaluate",
    "header",
    "holds_a_model",
    "load",
    "read",
    "shipped",
    "train",
]
