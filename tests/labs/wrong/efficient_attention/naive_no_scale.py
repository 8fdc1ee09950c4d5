"""naive_attention forgets the 1/sqrt(d) scale: softmax(q k^T) v.

Message: the 1/sqrt(d) scale was left out of the scores
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.efficient_attention.solution import attention_flops, online_softmax_attention  # the correct part


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Masked attention without the scale."""
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v
