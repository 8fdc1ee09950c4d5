"""online_softmax_attention computes the full score matrix and a plain softmax (right values, O(Tq * Tk) memory).

Message: a full 64 x 64 score matrix
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, naive_attention  # the correct part


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Dense attention; block_size ignored."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        i = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]
        scores = scores.masked_fill(torch.arange(Tk, device=q.device)[None, :] > i, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
