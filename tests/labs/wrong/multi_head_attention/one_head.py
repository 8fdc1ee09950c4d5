"""The features are never split into heads: one full-width attention with one softmax per query.

Message: one head of full width
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """Single-head attention at full width."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context
        q, k, v = self.q_proj(x), self.k_proj(source), self.v_proj(source)  # (B, T, D): one head
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            keep = mask[:, 0] if mask.dim() == 4 else mask  # (B or 1, T, S): there is one head
            scores = scores.masked_fill(~keep, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj(weights @ v)
