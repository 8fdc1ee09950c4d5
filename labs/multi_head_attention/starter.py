"""Lab 4 starter: split and merge attention heads, and multi-head attention with four projections (self and cross)."""

from __future__ import annotations

from torch import Tensor, nn


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, D // H].

    Head h gets the contiguous features h * dh .. (h + 1) * dh - 1 of every position (dh = D // H), as in
    nn.MultiheadAttention.
    """
    raise NotImplementedError


def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, dh] -> [B, T, H * dh].

    The inverse of split_heads: the heads side by side again, head 0's features first.
    """
    raise NotImplementedError


class MultiHeadAttention(nn.Module):
    """Multi-head attention with projections q_proj, k_proj, v_proj and out_proj."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        """Four nn.Linear(d_model, d_model, bias).

        Name them q_proj, k_proj, v_proj and out_proj (call super().__init__() first).
        """
        raise NotImplementedError

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D].

        Queries come from x; keys and values from context (x when context is None). Each head computes
        softmax(q k^T / sqrt(D / H)) v over the keys. `mask` is boolean, broadcasts to [B, H, T, S], and
        True means "may attend" (the opposite of nn.MultiheadAttention's attn_mask). No mask: every query sees
        every key. Do not change x, context or mask in place.
        """
        raise NotImplementedError
