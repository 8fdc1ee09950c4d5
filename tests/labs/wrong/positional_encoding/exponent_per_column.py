"""sinusoidal_encoding gives every column j its own frequency base^(-j/d), so a sine and its cosine differ.

Message: each column j got its own frequency
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
    """One angle per column, sin on even columns, cos on odd ones."""
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]
    angles = positions / base ** (torch.arange(d_model, dtype=torch.float32) / d_model)  # (T, d)
    table = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table
