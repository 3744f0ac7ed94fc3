"""Tokenizers by name; the name travels in the checkpoint so a model finds its own again."""

from __future__ import annotations

from typing import Any

from melody.errors import ConfigError, ModelFileError
from melody.tokenizers.abc_tokens import AbcTokenizer
from melody.tokenizers.base import Tokenizer
from melody.tokenizers.char import CharTokenizer
from melody.tokenizers.events import EventTokenizer
from melody.tokenizers.performance import PerformanceTokenizer

TOKENIZERS: dict[str, type[Tokenizer]] = {
    "char": CharTokenizer,
    "abc": AbcTokenizer,
    "midi": EventTokenizer,
    "performance": PerformanceTokenizer,
}


def make_tokenizer(name: str, decorations: bool = True) -> Tokenizer:
    """A new tokenizer by name; `decorations` (~ . !trill!) matter to abc tokens only."""
    if name not in TOKENIZERS:
        raise ConfigError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
    return TOKENIZERS[name].fresh(decorations=decorations)


def tokenizer_from_dict(data: dict[str, Any]) -> Tokenizer:
    name = data.get("name")
    if name not in TOKENIZERS or not isinstance(data.get("vocab"), list):
        raise ModelFileError(f"model file names an unknown tokenizer {name!r}")
    return TOKENIZERS[name].from_settings(data["vocab"], data.get("settings") or {})
