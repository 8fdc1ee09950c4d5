"""Heads take every H-th feature (view(B, T, dh, H)) instead of a contiguous slice; merge undoes it.

Message: heads taken feature by feature
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, D // H], head h taking every H-th feature."""
    B, T, D = x.shape
    return x.view(B, T, D // n_heads, n_heads).permute(0, 3, 1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """The inverse of this split: feature j of head h goes back to position j * H + h."""
    B, H, T, dh = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, T, H * dh)


class MultiHeadAttention(solution.MultiHeadAttention):
    """The solution's attention, through this file's split_heads and merge_heads."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(source), self.n_heads)
        v = split_heads(self.v_proj(source), self.n_heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj(merge_heads(weights @ v))
