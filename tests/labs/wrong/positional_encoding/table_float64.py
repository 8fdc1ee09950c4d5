"""sinusoidal_encoding returns the float64 table it computed, not float32.

Message: dtype mismatch: expected torch.float32, got torch.float64
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
    """The right table, left in float64."""
    positions = torch.arange(seq_len, dtype=torch.float64)[:, None]
    div = base ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    table = torch.zeros(seq_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(positions / div)
    table[:, 1::2] = torch.cos(positions / div)
    return table
