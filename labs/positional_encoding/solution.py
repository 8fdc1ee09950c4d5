"""Model answer for lab 3: the sinusoidal table, RoPE in the rotate-half layout, a learned position table."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def sinusoidal_encoding(seq_len: int, d_model: int, base: float = 10000.0) -> Tensor:
    """The sine/cosine table [seq_len, d_model] of "Attention Is All You Need"."""
    positions = torch.arange(seq_len, dtype=torch.float64)[:, None]  # (T, 1)
    exponents = torch.arange(0, d_model, 2, dtype=torch.float64) / d_model  # 2i / d
    angles = positions / base**exponents  # (T, d/2), in float64 so that long tables stay exact
    table = torch.empty(seq_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return table.to(torch.float32)


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """The d // 2 rotation frequencies base^(-2i/d)."""
    i = torch.arange(d // 2, dtype=torch.float64)
    return (base ** (-2.0 * i / d)).to(torch.float32)


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) -> (-x2, x1): the 90-degree turn of each (x1[i], x2[i]) pair."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Rotate x [..., T, d] by RoPE at the given positions [T], rotate-half layout."""
    d = x.shape[-1]
    freqs = rope_frequencies(d, base).to(device=x.device, dtype=torch.float64)
    angles = positions.to(torch.float64)[:, None] * freqs[None, :]  # (T, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # both halves of a pair turn by the same angle
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    return x * cos + rotate_half(x) * sin


class LearnedPositionalEmbedding(nn.Module):
    """A learned table `weight` [max_len, d_model]; positions past the table raise IndexError."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table, initialised N(0, 0.02^2) as in GPT-2."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """The embeddings of `positions` (any shape) -> [..., d_model]."""
        if positions.numel() and int(positions.max()) >= self.max_len:
            raise IndexError(
                f"position {int(positions.max())} is past the table: max_len is {self.max_len} "
                f"(positions 0 .. {self.max_len - 1})"
            )
        return self.weight[positions]
