"""A one-sided (causal) window: i attends j only for 0 <= i - j <= window // 2.

Message: a one-sided (causal) window
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from unittest.mock import patch

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.longformer import solution
from labs.longformer.solution import attention_pairs  # the correct part


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T): 0 <= i - j <= window // 2."""
    pos = torch.arange(T)
    diff = pos[:, None] - pos[None, :]
    return (diff >= 0) & (diff <= window // 2)


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The solution's longformer_mask over this file's sliding window."""
    with patch.object(solution, "sliding_window_mask", sliding_window_mask):
        return solution.longformer_mask(T, window, global_indices)


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Banded attention: gather each query's window of keys with unfold."""
    T, d = q.shape[-2:]
    h = min(window // 2, T - 1)
    offsets = torch.arange(-h, h + 1, device=q.device)
    k_win = F.pad(k, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)  # (B, H, T, d, W)
    v_win = F.pad(v, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)
    scores = torch.einsum("bhtd,bhtdw->bhtw", q, k_win) / math.sqrt(d)
    j = torch.arange(T, device=q.device)[:, None] + offsets  # key position of each window slot
    keep = (j >= 0) & (j < T) & (offsets <= 0)
    scores = scores.masked_fill(~keep, float("-inf"))
    return torch.einsum("bhtw,bhtdw->bhtd", scores.softmax(-1), v_win)
