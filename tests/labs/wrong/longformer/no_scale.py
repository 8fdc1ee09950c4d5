"""The attention scores are not scaled by 1/sqrt(d).

Message: the 1/sqrt(d) scale was left out of the scores
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.longformer.solution import attention_pairs, longformer_mask, sliding_window_mask  # the correct part


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Banded attention: gather each query's window of keys with unfold."""
    T = q.shape[-2]
    h = min(window // 2, T - 1)
    offsets = torch.arange(-h, h + 1, device=q.device)
    k_win = F.pad(k, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)  # (B, H, T, d, W)
    v_win = F.pad(v, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)
    scores = torch.einsum("bhtd,bhtdw->bhtw", q, k_win)
    j = torch.arange(T, device=q.device)[:, None] + offsets  # key position of each window slot
    keep = (j >= 0) & (j < T)
    scores = scores.masked_fill(~keep, float("-inf"))
    return torch.einsum("bhtw,bhtdw->bhtd", scores.softmax(-1), v_win)
