"""Lab 3 starter: the sinusoidal table, RoPE (rotate-half layout) and a learned position embedding."""

from __future__ import annotations

from torch import Tensor, nn


def sinusoidal_encoding(seq_len: int, d_model: int, base: float = 10000.0) -> Tensor:
    """The sine/cosine table [seq_len, d_model] of "Attention Is All You Need".

    PE[p, 2i] = sin(p / base^(2i/d_model)) and PE[p, 2i+1] = cos(p / base^(2i/d_model)): the sine and the
    cosine of one frequency sit side by side. Positions p are 0 .. seq_len - 1. Return a float32 CPU tensor.
    """
    raise NotImplementedError


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """The d // 2 rotation frequencies base^(-2i/d), i = 0 .. d // 2 - 1 (float32, on the CPU)."""
    raise NotImplementedError


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Rotate x [..., T, d] by RoPE at the given positions [T], rotate-half layout.

    With x1 = x[..., :d/2], x2 = x[..., d/2:] and angle positions[t] * rope_frequencies(d)[i], return
    cat(x1 cos - x2 sin, x2 cos + x1 sin): a new tensor with x's shape, dtype and device (x is not changed).
    """
    raise NotImplementedError


class LearnedPositionalEmbedding(nn.Module):
    """A learned table `weight` [max_len, d_model]; positions past the table raise IndexError."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table: an nn.Parameter `weight` of shape [max_len, d_model]."""
        raise NotImplementedError

    def forward(self, positions: Tensor) -> Tensor:
        """The embeddings of `positions` (any shape) -> [..., d_model].

        A position >= max_len has no row: raise IndexError, and say max_len in the message.
        """
        raise NotImplementedError
