"""split_heads views [B, T, D] as [B, T, H, dh] and stops there: the heads are never moved in front of time.

Message: not moved in front of time
"""

from __future__ import annotations

from torch import Tensor

from labs.multi_head_attention.solution import MultiHeadAttention, merge_heads  # the correct part


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, T, H, D // H] (the transpose(1, 2) is missing)."""
    B, T, D = x.shape
    return x.view(B, T, n_heads, D // n_heads)
