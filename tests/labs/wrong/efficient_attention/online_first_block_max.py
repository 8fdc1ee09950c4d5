"""online_softmax_attention subtracts the first block's maximum from every block instead of a running maximum.

Message: not the first block's
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, naive_attention  # the correct part


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """m is fixed by block 0; later blocks with larger scores overflow exp(s - m)."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    m = None
    l = q.new_zeros((*q.shape[:-1], 1))
    o = torch.zeros_like(q)
    query_pos = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]
    for start in range(0, Tk, block_size):
        s = q @ k[..., start : start + block_size, :].transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            key_pos = torch.arange(start, start + s.shape[-1], device=q.device)[None, :]
            s = s.masked_fill(key_pos > query_pos, float("-inf"))
        if m is None:
            m = s.amax(dim=-1, keepdim=True)
        p = torch.exp(s - m)
        l = l + p.sum(dim=-1, keepdim=True)
        o = o + p @ v[..., start : start + block_size, :]
    return o / l
