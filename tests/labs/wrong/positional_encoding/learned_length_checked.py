"""LearnedPositionalEmbedding compares the number of positions with max_len instead of their values.

Message: the number of positions was checked instead of their values
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """The table with a sequence-length check."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """Refuses sequences longer than the table; never looks at the values."""
        if positions.shape[-1] > self.max_len:
            raise IndexError(f"sequence of {positions.shape[-1]} positions is longer than max_len={self.max_len}")
        return F.embedding(positions, self.weight)
