"""Lab 13 model answer: Longformer masks, banded sliding-window attention and its pair count."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def _half_width(window: int) -> int:
    """Keys on each side of a query: window // 2 (window must be at least 1)."""
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    return window // 2


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T) on CPU: True where |i - j| <= window // 2 (query i may attend key j)."""
    half = _half_width(window)
    pos = torch.arange(T)
    return (pos[:, None] - pos[None, :]).abs() <= half


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The sliding window plus, for each global index g, the full row g and the full column g."""
    mask = sliding_window_mask(T, window)
    idx = torch.as_tensor(list(global_indices), dtype=torch.long)
    mask[idx, :] = True  # a global token attends to every position
    mask[:, idx] = True  # and every position attends to it
    return mask


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Softmax(q k^T / sqrt(d)) v under `sliding_window_mask`, for q, k, v (B, H, T, d), without a T x T tensor.

    Longformer's blocked layout: cut the queries into blocks of `block` rows; block n only needs the keys
    from n*block - half to n*block + block - 1 + half, so each block scores block x (block + 2*half)
    entries. With block = half that is about 1.5 * T * window scores in all, instead of T * T.
    """
    B, H, T, d = q.shape
    half = min(_half_width(window), T - 1)  # a wider window cannot see more than the whole sequence
    block = max(half, 1)
    n_blocks = math.ceil(T / block)
    extra = n_blocks * block - T  # padding that makes T a multiple of block
    span = block + 2 * half  # keys one block of queries can reach

    q_blocks = torch.nn.functional.pad(q, (0, 0, 0, extra)).view(B, H, n_blocks, block, d)
    # Keys padded by `half` on the left and `half + extra` on the right, cut into overlapping spans.
    k_pad = torch.nn.functional.pad(k, (0, 0, half, half + extra))
    v_pad = torch.nn.functional.pad(v, (0, 0, half, half + extra))
    k_spans = k_pad.unfold(2, span, block).transpose(-1, -2)  # (B, H, n_blocks, span, d)
    v_spans = v_pad.unfold(2, span, block).transpose(-1, -2)

    scores = q_blocks @ k_spans.transpose(-1, -2) / math.sqrt(d)  # (B, H, n_blocks, block, span)

    # Query a of block n sits at i = n*block + a; key c of its span at j = n*block - half + c.
    a = torch.arange(block, device=q.device)[:, None]
    c = torch.arange(span, device=q.device)[None, :]
    in_band = (c - a >= 0) & (c - a <= 2 * half)  # |i - j| <= half
    start = torch.arange(n_blocks, device=q.device)[:, None, None] * block
    j = start - half + c  # (n_blocks, 1, span)
    real_key = (j >= 0) & (j < T)  # the zero padding must get no weight
    scores = scores.masked_fill(~(in_band & real_key), float("-inf"))

    weights = torch.softmax(scores, dim=-1)
    out = weights @ v_spans  # (B, H, n_blocks, block, d)
    return out.reshape(B, H, n_blocks * block, d)[:, :, :T]


def _band_pairs(n: int, half: int) -> int:
    """True entries of an n x n band |i - j| <= half: n*(2h+1) minus the h(h+1)/2 cut off at each edge."""
    if n <= 0:
        return 0
    h = min(half, n - 1)
    return n * (2 * h + 1) - h * (h + 1)


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """True entries of `longformer_mask(T, window, range(n_global))`, counted without building it.

    The g global rows and g global columns cover 2*g*T - g*g entries (their g x g corner once); what is
    left is the band of the other T - g positions among themselves.
    """
    if not 0 <= n_global <= T:
        raise ValueError(f"n_global must be between 0 and T = {T}, got {n_global}")
    g = n_global
    return 2 * g * T - g * g + _band_pairs(T - g, _half_width(window))
