"""The network (Embedding -> LSTM/GRU/RNN -> Linear) and its model files."""

from melody.network.checkpoint import Model, load_model
from melody.network.model import ModelConfig, SequenceModel

__all__ = ["Model", "ModelConfig", "SequenceModel", "load_model"]
