"""LearnedPositionalEmbedding raises ValueError, not IndexError, past the table.

Message: expected an IndexError
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """The right check with the wrong exception type."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """ValueError past the table."""
        if int(positions.max()) >= self.max_len:
            raise ValueError(f"positions must be below max_len={self.max_len}")
        return self.weight[positions]
