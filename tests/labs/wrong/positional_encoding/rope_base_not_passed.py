"""apply_rope calls rope_frequencies(d) without its base, so a base other than 10000 is ignored.

Message: the base argument was ignored
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
    """Forgets to pass base on."""
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1]).to(x.device)
    angles = torch.cat([angles, angles], dim=-1)
    return x * angles.cos() + solution.rotate_half(x) * angles.sin()
