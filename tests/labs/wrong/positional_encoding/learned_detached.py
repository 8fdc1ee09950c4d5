"""LearnedPositionalEmbedding looks the rows up in weight.data, so no gradient reaches the table.

Message: the output does not require grad
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """A parameter that forward reads through .data."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """The rows, cut off from autograd."""
        if int(positions.max()) >= self.max_len:
            raise IndexError(f"position past max_len={self.max_len}")
        return self.weight.data[positions]
