"""The zero padding at the sequence edges is not masked, so padded keys get attention weight.

Message: padded out-of-range positions at the sequence edges got attention weight
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.longformer.solution import attention_pairs, longformer_mask, sliding_window_mask  # the correct part


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Banded attention: gather each query's window of keys with unfold."""
    T, d = q.shape[-2:]
    h = window // 2
    k_win = F.pad(k, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)  # (B, H, T, d, W)
    v_win = F.pad(v, (0, 0, h, h)).unfold(2, 2 * h + 1, 1)
    scores = torch.einsum("bhtd,bhtdw->bhtw", q, k_win) / math.sqrt(d)
    return torch.einsum("bhtw,bhtdw->bhtd", scores.softmax(-1), v_win)
