"""rope_frequencies uses the exponent i/d (i = 0 .. d/2 - 1) instead of 2i/d.

Message: the exponent i/d instead of 2i/d
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding import solution
from labs.positional_encoding.solution import LearnedPositionalEmbedding, sinusoidal_encoding  # the correct part


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """base^(-i/d)."""
    return base ** (-torch.arange(d // 2, dtype=torch.float32) / d)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """The solution's rotation with these frequencies."""
    h = x.shape[-1] // 2
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)
    cos, sin = torch.cat([angles.cos()] * 2, -1), torch.cat([angles.sin()] * 2, -1)
    return x * cos + solution.rotate_half(x) * sin
