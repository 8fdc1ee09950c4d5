"""Lab 2 starter: attention the naive way, then FlashAttention's online softmax that never holds the score matrix."""

from __future__ import annotations

from torch import Tensor


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q k^T / sqrt(d), masked) v for q [B, H, Tq, d], k and v [B, H, Tk, d] -> [B, H, Tq, d].

    `mask` is boolean and broadcasts to [B, H, Tq, Tk] (e.g. [Tq, Tk] or [B, 1, 1, Tk]); True = "may attend",
    as in F.scaled_dot_product_attention. A masked key gets exactly zero weight. Do not modify the inputs.
    """
    raise NotImplementedError


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Attention over key blocks with a running max and sum; never a [Tq, Tk] tensor -> [B, H, Tq, d].

    Walk k and v in blocks of `block_size` keys (the last block may be shorter). For each query keep the
    largest score seen so far (m), the sum of exp(score - m) (l) and the sum of exp(score - m) * v (o);
    return o / l. Only [.., Tq, block_size] scores may exist at a time; scores of magnitude 1e4 must work.
    With `causal`, query i sits at position Tk - Tq + i and sees keys 0 .. Tk - Tq + i (Tq <= Tk).
    """
    raise NotImplementedError


def attention_flops(T: int, d: int) -> int:
    """Floating-point operations of one head's attention: 4 * T * T * d.

    Count Q K^T and P V, a multiply-add as two operations. Return a Python int, by formula.
    """
    raise NotImplementedError
