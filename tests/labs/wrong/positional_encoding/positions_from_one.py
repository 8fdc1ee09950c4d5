"""sinusoidal_encoding counts positions from 1, so its first row is position 1.

Message: positions counted from 1
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
    """Interleaved sin/cos of positions 1 .. seq_len."""
    positions = torch.arange(1, seq_len + 1, dtype=torch.float32)[:, None]
    div = base ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    table = torch.zeros(seq_len, d_model)
    table[:, 0::2] = torch.sin(positions / div)
    table[:, 1::2] = torch.cos(positions / div)
    return table
