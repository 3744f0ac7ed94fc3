"""Model files (.safetensors: weights + JSON metadata, no pickle) and resumable training state."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from melody.errors import ModelFileError, did_you_mean
from melody.fileio import atomic_write_bytes
from melody.network.model import ModelConfig, SequenceModel
from melody.tokenizers import tokenizer_from_dict
from melody.tokenizers.base import Tokenizer

FORMAT_VERSION = 1
SHIPPED_DIR = Path(__file__).parents[1] / "models"
DEFAULT_MODEL = "folk"
MODEL_FILE_NAMES = ("best.safetensors", "last.safetensors", "model.safetensors")


@dataclass
class Model:
    """A trained network together with the tokenizer it speaks and how it was trained."""

    network: SequenceModel
    tokenizer: Tokenizer
    training: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    masks: dict = field(default_factory=dict, repr=False, compare=False)  # the sampler's, built once each

    @property
    def config(self) -> ModelConfig:
        return self.network.config

    def save(self, directory: str | Path, name: str = "model.safetensors", dtype=torch.float32) -> Path:
        path = Path(directory) / name
        save_model_file(path, self.network, self.tokenizer, self.training, dtype)
        return path


def save_model_file(path, network: SequenceModel, tokenizer: Tokenizer, training: dict, dtype=torch.float32):
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in network.state_dict().items()}
    metadata = {
        "format_version": str(FORMAT_VERSION),
        "model_config": json.dumps(network.config.to_dict()),
        "tokenizer": json.dumps(tokenizer.to_dict()),
        "training": json.dumps(training),
    }
    atomic_write_bytes(path, save(tensors, metadata=metadata))


def shipped_models() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.safetensors"))


def resolve_model_path(path_or_name: str | Path | None) -> Path:
    """A model file, a run folder (best, else last checkpoint) or a shipped model's name."""
    candidate = Path(path_or_name or DEFAULT_MODEL)
    if candidate.is_dir():
        for name in MODEL_FILE_NAMES:
            if (candidate / name).is_file():
                return candidate / name
        raise ModelFileError("folder holds no model file (best/last/model.safetensors)", str(candidate))
    if candidate.is_file():
        return candidate
    shipped = SHIPPED_DIR / f"{candidate}.safetensors"
    if shipped.is_file():
        return shipped
    names = ", ".join(shipped_models()) or "none installed"
    hint = did_you_mean(str(candidate), shipped_models())
    raise ModelFileError(f"no such model file, run folder or shipped model (shipped: {names}){hint}", str(candidate))


def load_model(path_or_name: str | Path | None = None, device: str | torch.device = "cpu") -> Model:
    """Load any model file safely: safetensors holds only tensors, so loading runs no code."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    path = resolve_model_path(path_or_name)
    try:
        data = path.read_bytes()
        tensors = load(data)
        metadata = _read_metadata(data)
    except (SafetensorError, OSError, ValueError, RuntimeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"not a readable melody model file ({error})", str(path)) from None
    version = metadata.get("format_version")
    if version != str(FORMAT_VERSION):
        raise ModelFileError(f"model format_version {version!r}; this melody reads {FORMAT_VERSION}", str(path))
    try:
        config = ModelConfig.from_dict(json.loads(metadata["model_config"]))
        tokenizer = tokenizer_from_dict(json.loads(metadata["tokenizer"]))
        training = json.loads(metadata.get("training", "{}"))
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"model metadata is damaged ({error})", str(path)) from None
    if config.vocab_size != len(tokenizer):
        raise ModelFileError("model config and vocabulary disagree in size", str(path))
    network = SequenceModel(config)
    try:
        network.load_state_dict({k: v.float() for k, v in tensors.items()})
    except RuntimeError as error:
        first = str(error).strip().split("\n")[0]
        raise ModelFileError(f"weights do not match the model config ({first})", str(path)) from None
    network.to(device).eval()
    return Model(network, tokenizer, training, str(path))


def model_header(path_or_name: str | Path) -> dict:
    """What a model file says of itself without loading its weights: the tokenizer's name and its
    piece kind, the voices of its corpus (event models) and whether its pieces keep a beat (a tempo
    means something): for a page that lists models."""
    path = resolve_model_path(path_or_name)
    try:
        with open(path, "rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            metadata = json.loads(handle.read(min(length, 64 * 2**20))).get("__metadata__", {})
        tokenizer = tokenizer_from_dict(json.loads(metadata.get("tokenizer", "{}")))
        training = json.loads(metadata.get("training", "{}"))
    except (OSError, ValueError) as error:
        raise ModelFileError(f"not a readable melody model file ({error})", str(path)) from None
    return {
        "tokenizer": tokenizer.name,
        "kind": tokenizer.piece_kind,
        "voices": [v.get("name", "") for v in (training.get("voices") or {}).get("layout", [])],
        "accompanies": "accompany" in tokenizer.options,
        "keeps_beat": "tempo" in tokenizer.options,
    }


def _read_metadata(data: bytes) -> dict[str, str]:
    """The JSON header of a safetensors file (8-byte little-endian length, then JSON)."""
    if len(data) < 8:
        raise ValueError("file too short")
    length = int.from_bytes(data[:8], "little")
    if length > len(data) - 8:
        raise ValueError("header longer than file")
    return json.loads(data[8 : 8 + length]).get("__metadata__", {})


def save_train_state(path: str | Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_train_state(path: str | Path) -> dict[str, Any]:
    """Resume state: weights_only=True refuses any pickle that would build objects or run code."""
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise ModelFileError("no train_state.pt to resume from", str(path)) from None
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError, ... here
        first = str(error).strip().split("\n")[0][:200]
        raise ModelFileError(f"refused or unreadable training state ({first})", str(path)) from None
