"""Lab 4 solution: split and merge heads, and multi-head attention with separate q, k, v and output projections."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, D // H]: head h takes the features h*dh .. (h+1)*dh - 1 of every position."""
    B, T, D = x.shape
    return x.view(B, T, n_heads, D // n_heads).transpose(1, 2)  # (B, H, T, dh), a view


def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, dh] -> [B, T, H * dh]: the heads side by side again, head 0 first."""
    B, H, T, dh = x.shape
    return x.transpose(1, 2).reshape(B, T, H * dh)  # transposed, so reshape copies (view would fail)


class MultiHeadAttention(nn.Module):
    """Multi-head attention with projections q_proj, k_proj, v_proj and out_proj."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        """Four nn.Linear(d_model, d_model, bias)."""
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context  # keys and values come from here
        q = split_heads(self.q_proj(x), self.n_heads)  # (B, H, T, dh)
        k = split_heads(self.k_proj(source), self.n_heads)  # (B, H, S, dh)
        v = split_heads(self.v_proj(source), self.n_heads)  # (B, H, S, dh)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, H, T, S): one score table per head
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))  # True = may attend
        weights = torch.softmax(scores, dim=-1)  # over the keys; torch.softmax subtracts the row max
        return self.out_proj(merge_heads(weights @ v))  # (B, T, D)
