"""Wrong: a hand-written LayerNorm with torch.var's default unbiased variance (divides by D - 1).

Message: LayerNorm with the unbiased variance
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # noqa: F401 - the correct part


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) * weight + bias, with the unbiased variance."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise the last dim."""
        mean, var = x.mean(-1, keepdim=True), x.var(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * self.weight + self.bias


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the hand-written norms."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.ln_1, self.ln_2 = LayerNorm(d_model), LayerNorm(d_model)
