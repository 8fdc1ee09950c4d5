"""The projections are applied as x @ W + b, with nn.Linear's weight untransposed.

Message: the projection weights used untransposed
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """x @ W instead of x @ W.T."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context

        def linear(layer: torch.nn.Linear, t: Tensor) -> Tensor:
            return t @ layer.weight + layer.bias if layer.bias is not None else t @ layer.weight

        q = split_heads(linear(self.q_proj, x), self.n_heads)
        k = split_heads(linear(self.k_proj, source), self.n_heads)
        v = split_heads(linear(self.v_proj, source), self.n_heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return linear(self.out_proj, merge_heads(weights @ v))
