"""A correct lab 3 written differently: a table built by Python loops, RoPE as complex numbers in float32,
and the learned table kept in an nn.Embedding whose weight the module exposes."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sinusoidal_encoding(seq_len: int, d_model: int, base: float = 10000.0) -> Tensor:
    """Row by row, column by column, with Python's math (double precision)."""
    rows = []
    for p in range(seq_len):
        row = []
        for j in range(d_model):
            angle = p / base ** ((j - j % 2) / d_model)
            row.append(math.cos(angle) if j % 2 else math.sin(angle))
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32).reshape(seq_len, d_model)


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """exp(-(2i/d) log base), computed in float32."""
    return torch.exp(torch.arange(0, d, 2, dtype=torch.float32)[: d // 2] * (-math.log(base) / d))


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Pair x[i] (real part) with x[i + d/2] (imaginary part) and multiply by e^(i * angle), all in float32."""
    h = x.shape[-1] // 2
    angles = torch.outer(positions.float(), rope_frequencies(x.shape[-1], base).to(x.device))  # (T, h)
    z = torch.view_as_complex(torch.stack([x[..., :h], x[..., h:]], dim=-1).float().contiguous())
    turned = torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles))  # (..., T, h, 2)
    return torch.cat([turned[..., 0], turned[..., 1]], dim=-1).to(x.dtype)


class LearnedPositionalEmbedding(nn.Module):
    """An nn.Embedding behind a bound check; `weight` is the embedding's own parameter."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """The table lives in self.table (N(0, 1) init, as nn.Embedding's)."""
        super().__init__()
        self.max_len = max_len
        self.table = nn.Embedding(max_len, d_model)

    @property
    def weight(self) -> nn.Parameter:
        """The [max_len, d_model] table."""
        return self.table.weight

    def forward(self, positions: Tensor) -> Tensor:
        """Refuse positions past the table, then look the rows up."""
        if bool((positions >= self.max_len).any()):
            raise IndexError(f"positions must be < max_len={self.max_len}; the largest is {int(positions.max())}")
        return self.table(positions)
