"""apply_rope rotates adjacent pairs (x[2i], x[2i+1]) (GPT-J, Meta's LLaMA) instead of (x[i], x[i + d/2]).

Message: the interleaved layout of GPT-J
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    rope_frequencies,
    sinusoidal_encoding,
)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Even and odd features as the two coordinates of each pair."""
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)  # (T, d/2)
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, odd * cos + even * sin], dim=-1).flatten(-2)
