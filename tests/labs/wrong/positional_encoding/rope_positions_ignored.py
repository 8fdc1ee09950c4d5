"""apply_rope turns row t by the angle of position t, ignoring the positions argument (wrong with a cache).

Message: the positions argument was ignored
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding import solution
from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    rope_frequencies,
    sinusoidal_encoding,
)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Angles from torch.arange(T)."""
    t = torch.arange(x.shape[-2], device=x.device, dtype=torch.float32)
    angles = t[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)
    angles = torch.cat([angles, angles], dim=-1)
    return x * angles.cos() + solution.rotate_half(x) * angles.sin()
