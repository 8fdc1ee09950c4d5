"""online_softmax_attention zero-pads K and V to a multiple of block_size and leaves the padding unmasked.

Message: zero padding added to the last block got weight
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, naive_attention  # the correct part


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Blocks of equal size after padding; padded keys score 0 and take part in the softmax."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    pad = -Tk % block_size
    k, v = F.pad(k, (0, 0, 0, pad)), F.pad(v, (0, 0, 0, pad))
    m = q.new_full((*q.shape[:-1], 1), float("-inf"))
    l = q.new_zeros((*q.shape[:-1], 1))
    o = torch.zeros_like(q)
    query_pos = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]
    for start in range(0, Tk + pad, block_size):
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
