"""A linear layer whose weights are packed once for oneDNN, for the sampler's one-token steps on CPU.

A plain CPU matmul (MKL) repacks the weight matrix on every call. At a sampling step's batch of 2 to
64 rows that repacking is most of the cost: on our 2-core AMD test machine, a 2048x1024 layer took
1.2-1.7 ms at 4-16 rows through `F.linear` and 0.24-0.68 ms with oneDNN's prepacked weights
(`bench/step_kernels.py` measures it on the machine at hand). The packed form comes from PyTorch's
private `mkldnn` ops, the ones its compiler uses for frozen CPU linear layers; where they are missing
(a build without oneDNN, another CPU architecture) this falls back to `F.linear`. A single row
stays on `F.linear` too: that is a matrix-vector product, which MKL does not repack and which ran
10-30% faster than oneDNN's at one thread.
"""

from __future__ import annotations

import functools
import warnings

import torch
import torch.nn.functional as F


def _onednn_ops():
    ops = getattr(torch.ops, "mkldnn", None)
    try:
        if ops is not None and torch.backends.mkldnn.is_available():
            return ops._reorder_linear_weight, ops._linear_pointwise
    except (AttributeError, RuntimeError):
        pass
    return None


@functools.cache
def _say_fallback(why: str) -> None:
    """Once per process, so a torch upgrade cannot make batched sampling slower unseen."""
    warnings.warn(f"oneDNN-packed sampling weights unavailable ({why}); using plain matmuls", stacklevel=3)


class PackedLinear:
    """y = x W^T + b for float32 CPU inputs, with W packed for oneDNN (on first use by a batch of
    rows, so a one-tune `generate` never pays for the packing) when it can be."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        self.weight, self.bias = weight.float().contiguous(), bias.float().contiguous()
        self._packed = None
        self._tried = False

    @property
    def packed(self):
        """The oneDNN-packed weight, or None where oneDNN cannot take it."""
        if not self._tried:
            self._tried = True
            ops = _onednn_ops()
            if ops is None:
                _say_fallback("this torch has no mkldnn linear ops")
            if ops is not None and self.weight.device.type == "cpu":
                reorder, self._linear = ops
                try:
                    packed = reorder(self.weight)
                    self._linear(torch.zeros(2, self.weight.shape[1]), packed, self.bias, "none", [], "")
                    self._packed = packed
                except (RuntimeError, TypeError) as error:  # an op whose signature changed: plain matmuls
                    _say_fallback(f"{type(error).__name__}: {str(error)[:80]}")
        return self._packed

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 1 and x.dtype == torch.float32 and x.device.type == "cpu" and self.packed is not None:
            return self._linear(x.contiguous(), self._packed, self.bias, "none", [], "")
        return F.linear(x, self.weight.to(x.dtype), self.bias.to(x.dtype))
