"""The projections are applied as x @ W.T, so their biases are never added.

Message: the projection biases were left out
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """Uses only the projection weights."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context
        q = split_heads(x @ self.q_proj.weight.T, self.n_heads)
        k = split_heads(source @ self.k_proj.weight.T, self.n_heads)
        v = split_heads(source @ self.v_proj.weight.T, self.n_heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return merge_heads(weights @ v) @ self.out_proj.weight.T
