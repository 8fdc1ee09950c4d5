"""LearnedPositionalEmbedding raises only for positions > max_len, so position max_len slips through.

Message: an off-by-one bound
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """The table with a bound check that is one too loose."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """Checks > max_len instead of >= max_len."""
        if int(positions.max()) > self.max_len:
            raise IndexError(f"position {int(positions.max())} is past max_len={self.max_len}")
        return F.embedding(positions, self.weight)
