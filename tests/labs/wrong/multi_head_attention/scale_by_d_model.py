"""The scores are scaled by 1/sqrt(d_model), the full width, instead of 1/sqrt(d_head).

Message: scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_model / n_heads)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """Scaled by the model width."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(source), self.n_heads)
        v = split_heads(self.v_proj(source), self.n_heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.n_heads * self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj(merge_heads(weights @ v))
