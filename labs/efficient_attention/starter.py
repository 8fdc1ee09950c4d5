"""Lab 2 starter: efficient_attention. SCAFFOLD: say what it asks."""

from __future__ import annotations

from torch import Tensor


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q k^T / sqrt(d), masked) v for q [B, H, Tq, d], k and v [B, H, Tk, d] -> [B, H, Tq, d]."""
    raise NotImplementedError


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Attention over key blocks with a running max and sum; never a [Tq, Tk] tensor -> [B, H, Tq, d]."""
    raise NotImplementedError


def attention_flops(T: int, d: int) -> int:
    """Floating-point operations of one head's attention: 4 * T * T * d."""
    raise NotImplementedError
