"""apply_rope repeats the angles with repeat_interleave (the interleaved order) but rotates halves.

Message: the angles repeated with repeat_interleave
"""

from __future__ import annotations

from torch import Tensor

from labs.positional_encoding import solution
from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    rope_frequencies,
    sinusoidal_encoding,
)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """theta0, theta0, theta1, theta1, ... against the rotate-half pairing."""
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)
    angles = angles.repeat_interleave(2, dim=-1)
    return x * angles.cos() + solution.rotate_half(x) * angles.sin()
