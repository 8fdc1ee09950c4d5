"""sliding_window_attention builds the full T x T score matrix and masks it (correct values, O(T^2) memory)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T): |i - j| <= window // 2."""
    pos = torch.arange(T)
    return (pos[:, None] - pos[None, :]).abs() <= window // 2


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The window plus full rows and columns for the global indices."""
    mask = sliding_window_mask(T, window)
    idx = torch.tensor(list(global_indices), dtype=torch.long)
    mask[idx, :] = True
    mask[:, idx] = True
    return mask


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Dense attention under the window mask."""
    T, d = q.shape[-2:]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)  # (B, H, T, T)
    scores = scores.masked_fill(~sliding_window_mask(T, window).to(q.device), float("-inf"))
    return scores.softmax(-1) @ v


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T - n_global
    h = min(window // 2, max(n - 1, 0))
    band = n * (2 * h + 1) - h * (h + 1) if n > 0 else 0
    return 2 * g * T - g * g + band
