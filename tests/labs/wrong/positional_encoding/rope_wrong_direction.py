"""apply_rope turns by -angle: rotate_half written as cat(x2, -x1).

Message: a rotation the wrong way
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
    """x cos + cat(x2, -x1) sin."""
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)
    angles = torch.cat([angles, angles], dim=-1)
    x1, x2 = x.chunk(2, dim=-1)
    return x * angles.cos() + torch.cat([x2, -x1], dim=-1) * angles.sin()
