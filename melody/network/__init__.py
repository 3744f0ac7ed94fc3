"""The network (Embedding -> LSTM/GRU/RNN -> Linear) and its model files. Names load on first use,
so `melody.network.config` is read without importing torch."""

from importlib import import_module

_WHERE = {"Model": "checkpoint", "load_model": "checkpoint", "ModelConfig": "config", "SequenceModel": "model"}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'melody.network' has no attribute {name!r}")
    return getattr(import_module(f"melody.network.{_WHERE[name]}"), name)
