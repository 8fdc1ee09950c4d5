"""sliding_window_attention builds the full T x T score matrix and masks it (correct values, O(T^2) memory).

Message: a full 256 x 256 score matrix
"""

from __future__ import annotations

import math

from torch import Tensor

from labs.longformer.solution import attention_pairs, longformer_mask, sliding_window_mask  # the correct part


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Dense attention under the window mask."""
    T, d = q.shape[-2:]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)  # (B, H, T, T)
    scores = scores.masked_fill(~sliding_window_mask(T, window).to(q.device), float("-inf"))
    return scores.softmax(-1) @ v
