"""Sampling: new pieces from a model, one token per step, each piece kept well-formed by its
tokenizer's mask (abc_mask.py, event_mask.py), following a plan of forced and free segments
(primers, header fields asked for, form plans) and the priors a training corpus left in the model."""

from melody.sampling.pieces import Piece, SampleResult, read_primer_file, sample, write_pieces
from melody.sampling.sampler import (
    SampleConfig,
    SampledRow,
    draw,
    filter_logits,
    sample_ids,
    sample_rows,
    sampling_mask,
    warm_up_ids,
)

__all__ = [
    "Piece",
    "SampleConfig",
    "SampledRow",
    "draw",
    "filter_logits",
    "SampleResult",
    "read_primer_file",
    "sample",
    "sample_ids",
    "sample_rows",
    "sampling_mask",
    "warm_up_ids",
    "write_pieces",
]
