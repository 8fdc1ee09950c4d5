"""naive_attention scales q in place (q.mul_), which changes the caller's tensor.

Message: naive_attention changed its input q in place
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, online_softmax_attention  # the correct part


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Scales the queries in place first, to save a [Tq, Tk] division."""
    q.mul_(1.0 / math.sqrt(q.shape[-1]))
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
