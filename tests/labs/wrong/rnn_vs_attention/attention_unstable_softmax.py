"""The softmax is exp(s) / sum(exp(s)) without subtracting the row maximum.

Message: an unstable softmax
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.rnn_vs_attention.solution import influence, rnn_forward  # the correct part


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d]."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    e = torch.exp(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]))
    return e / e.sum(dim=-1, keepdim=True) @ v
