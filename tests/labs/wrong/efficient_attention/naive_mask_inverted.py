"""naive_attention reads True as "blocked" (the polarity of nn.MultiheadAttention's attn_mask).

Message: an inverted mask: True means 'may attend'
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, online_softmax_attention  # the correct part


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Fills the scores where the mask is True."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
