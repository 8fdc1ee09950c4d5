"""LearnedPositionalEmbedding checks nothing and lets F.embedding fail with its own message.

Message: does not name max_len
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from labs.positional_encoding.solution import apply_rope, rope_frequencies, sinusoidal_encoding  # the correct part


class LearnedPositionalEmbedding(nn.Module):
    """The table, looked up with F.embedding and no check."""

    def __init__(self, max_len: int, d_model: int) -> None:
        """Create the table."""
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * 0.02)

    def forward(self, positions: Tensor) -> Tensor:
        """F.embedding raises 'index out of range in self' past the table."""
        return F.embedding(positions, self.weight)
