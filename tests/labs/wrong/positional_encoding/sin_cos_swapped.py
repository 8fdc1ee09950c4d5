"""sinusoidal_encoding puts the cosine in the even columns and the sine in the odd ones.

Message: sin and cos swapped
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    apply_rope,
    rope_frequencies,
)


def sinusoidal_encoding(seq_len: int, d_model: int, base: float = 10000.0) -> Tensor:
    """cos at 2i, sin at 2i + 1."""
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]
    div = base ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    table = torch.zeros(seq_len, d_model)
    table[:, 0::2] = torch.cos(positions / div)
    table[:, 1::2] = torch.sin(positions / div)
    return table
