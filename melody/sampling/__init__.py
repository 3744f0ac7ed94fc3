"""Sampling: new pieces from a model, one token per step, each piece kept well-formed by its
tokenizer's mask (masks.py: abc_mask.py, event_mask.py, performance_mask.py), following a plan of
forced and free segments (plans.py: primers, header fields asked for, form plans) and the priors a
training corpus left in the model; sampler.py's token loop is the one place that draws.

`sample(model, config)` is the way to pieces; `sample_ids` gives the raw token ids (benches).
Names load on first use, so `melody.sampling.config` is read without importing torch."""

from importlib import import_module

_WHERE = {
    "Piece": "pieces",
    "SampleResult": "pieces",
    "sample": "pieces",
    "write_pieces": "pieces",
    "SampleConfig": "config",
    "SampledRow": "sampler",
    "draw": "sampler",
    "filter_logits": "sampler",
    "sample_ids": "sampler",
    "sampling_mask": "masks",
    "warm_up_ids": "sampler",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'melody.sampling' has no attribute {name!r}")
    return getattr(import_module(f"melody.sampling.{_WHERE[name]}"), name)
