"""LearnedPositionalEmbedding returns the first T rows of the table, whatever the positions say.

Message: the first T rows of the table
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """Assumes positions are always 0 .. T-1."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """weight[:T], broadcast to the positions' shape."""
        if int(positions.max()) >= self.max_len:
            raise IndexError(f"position past max_len={self.max_len}")
        T = positions.shape[-1]
        return self.weight[:T].expand(*positions.shape, self.weight.shape[1])
