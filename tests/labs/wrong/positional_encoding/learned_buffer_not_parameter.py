"""LearnedPositionalEmbedding registers its table as a buffer: it moves with the module but never trains.

Message: not an nn.Parameter
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """A table that is a buffer, not a parameter."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.register_buffer("weight", torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """The rows, after the bound check."""
        if int(positions.max()) >= self.max_len:
            raise IndexError(f"position past max_len={self.max_len}")
        return self.weight[positions]
