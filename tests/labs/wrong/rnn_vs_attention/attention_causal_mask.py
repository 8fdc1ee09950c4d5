"""A causal mask is applied, as in a decoder, though this self-attention has none.

Message: a causal mask was applied
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.rnn_vs_attention.solution import influence, rnn_forward  # the correct part


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d]."""
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
    return torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1) @ v
