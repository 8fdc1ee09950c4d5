"""Wrong: SCAFFOLD: one common mistake, in one line.

Message: SCAFFOLD:
"""

from __future__ import annotations

from torch import Tensor, nn


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, D // H]."""
    raise NotImplementedError


def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, dh] -> [B, T, H * dh]."""
    raise NotImplementedError


class MultiHeadAttention(nn.Module):
    """Multi-head attention with projections q_proj, k_proj, v_proj and out_proj."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        """Four nn.Linear(d_model, d_model, bias)."""
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        raise NotImplementedError
