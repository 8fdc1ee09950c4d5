"""attention_pairs does not clamp window // 2 to the sequence, so wide windows miscount."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
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
    """Banded attention: gather each query's window of keys with unfold."""
    T, d = q.shape[-2:]
    h = min(window // 2, T - 1)
    offsets = torch.arange(-h, h + 1, device=q.device)
    k_win = F.pad(k, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)  # (B, H, T, d, W)
    v_win = F.pad(v, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)
    scores = torch.einsum("bhtd,bhtdw->bhtw", q, k_win) / math.sqrt(d)
    j = torch.arange(T, device=q.device)[:, None] + offsets  # key position of each window slot
    keep = (j >= 0) & (j < T)
    scores = scores.masked_fill(~keep, float("-inf"))
    return torch.einsum("bhtw,bhtdw->bhtd", scores.softmax(-1), v_win)


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T - n_global
    h = window // 2
    band = n * (2 * h + 1) - h * (h + 1) if n > 0 else 0
    return 2 * g * T - g * g + band
