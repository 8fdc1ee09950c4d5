"""naive_attention zeroes the masked scores (scores * mask) instead of setting them to -inf.

Message: masked scores set to 0 instead of -inf
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, online_softmax_attention  # the correct part


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Multiplies the scores by the mask."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores * mask
    return torch.softmax(scores, dim=-1) @ v
