"""Lab 2 model answer: naive masked attention, FlashAttention's online-softmax recurrence, and the FLOPs count."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q k^T / sqrt(d), masked) v for q [B, H, Tq, d], k and v [B, H, Tk, d] -> [B, H, Tq, d].

    The whole [B, H, Tq, Tk] score matrix is built: O(Tq * Tk) memory. `mask` is boolean, True = may attend.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # exp(-inf) = 0: a masked key gets no weight
    return torch.softmax(scores, dim=-1) @ v


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Attention over key blocks with a running max and sum; never a [Tq, Tk] tensor -> [B, H, Tq, d].

    For each query, after the keys seen so far: m = the largest score, l = sum of exp(score - m) and
    o = sum of exp(score - m) v. A new block with a larger maximum m' rescales l and o by exp(m - m')
    before adding its own terms; at the end o / l is the softmax-weighted average of the values.
    With `causal`, query i sits at position Tk - Tq + i (aligned with the end of the keys).
    """
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    Tq, Tk = q.shape[-2], k.shape[-2]
    if causal and Tq > Tk:
        raise ValueError(f"causal attention needs Tq <= Tk, got Tq = {Tq} and Tk = {Tk}")
    scale = 1.0 / math.sqrt(q.shape[-1])
    m = q.new_full((*q.shape[:-1], 1), float("-inf"))  # running max per query
    l = q.new_zeros((*q.shape[:-1], 1))  # running sum of exp(score - m)
    o = q.new_zeros((*q.shape[:-1], v.shape[-1]))  # running sum of exp(score - m) * v
    query_pos = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]  # [Tq, 1]
    for start in range(0, Tk, block_size):
        k_blk, v_blk = k[..., start : start + block_size, :], v[..., start : start + block_size, :]
        scores = q @ k_blk.transpose(-2, -1) * scale  # [B, H, Tq, block]: one block of scores only
        if causal:
            key_pos = torch.arange(start, start + k_blk.shape[-2], device=q.device)[None, :]
            scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
        # Key 0 is visible to every query, so m is finite from the first block on and m - m_new is never nan.
        m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
        p = torch.exp(scores - m_new)
        correction = torch.exp(m - m_new)  # 0 on the first block (m = -inf); < 1 when the max grew
        l = l * correction + p.sum(dim=-1, keepdim=True)
        o = o * correction + p @ v_blk
        m = m_new
    return o / l


def attention_flops(T: int, d: int) -> int:
    """Floating-point operations of one head's attention: 4 * T * T * d.

    Q K^T is T x T dot products of length d (d multiplies and d adds each): 2 T^2 d; P V the same again.
    """
    return 4 * T * T * d
