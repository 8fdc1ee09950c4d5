"""rope_frequencies returns d values: the d // 2 frequencies repeated for the two halves.

Message: the frequencies repeated for the two halves
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding import solution
from labs.positional_encoding.solution import LearnedPositionalEmbedding, sinusoidal_encoding  # the correct part


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """One frequency per column of x, ready to multiply."""
    freqs = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float32) / d)
    return torch.cat([freqs, freqs])


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """The rotation with the frequencies already repeated."""
    angles = positions.float()[:, None] * rope_frequencies(x.shape[-1], base).to(x.device)  # (T, d)
    return x * angles.cos() + solution.rotate_half(x) * angles.sin()
