"""online_softmax_attention starts the running maximum at 0 instead of -inf: all-negative large scores underflow.

Message: starting it at -inf (not 0)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, naive_attention  # the correct part


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """The recurrence with m = 0 at the start, so m never drops below 0."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    m = q.new_zeros((*q.shape[:-1], 1))
    l = q.new_zeros((*q.shape[:-1], 1))
    o = torch.zeros_like(q)
    query_pos = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]
    for start in range(0, Tk, block_size):
        s = q @ k[..., start : start + block_size, :].transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            key_pos = torch.arange(start, start + s.shape[-1], device=q.device)[None, :]
            s = s.masked_fill(key_pos > query_pos, float("-inf"))
        m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))
        p = torch.exp(s - m_new)
        correction = torch.exp(m - m_new)
        l = l * correction + p.sum(dim=-1, keepdim=True)
        o = o * correction + p @ v[..., start : start + block_size, :]
        m = m_new
    return o / l
