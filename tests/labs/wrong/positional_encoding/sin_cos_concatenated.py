"""sinusoidal_encoding puts all the sines first and all the cosines after them, instead of interleaving them.

Message: all the sines first, then all the cosines
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
    """[sin | cos] halves."""
    positions = torch.arange(seq_len, dtype=torch.float32)[:, None]
    div = base ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    return torch.cat([torch.sin(positions / div), torch.cos(positions / div)], dim=-1)
