"""apply_rope writes the rotated halves back into x and returns it: the caller's tensor changes.

Message: apply_rope changed its input x in place
"""

from __future__ import annotations

from torch import Tensor

from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    rope_frequencies,
    sinusoidal_encoding,
)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """The right values, stored in x itself."""
    h = x.shape[-1] // 2
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :h], x[..., h:]
    x[..., :h], x[..., h:] = x1 * cos - x2 * sin, x2 * cos + x1 * sin
    return x
