"""Wrong: causal_mask leaves out the diagonal (tril(-1)), so a token cannot attend to itself.

Message: a causal mask without the diagonal
"""

from __future__ import annotations

from unittest.mock import patch

import torch
from torch import Tensor

from labs.decoder_only import solution


def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: strictly below the diagonal."""
    return torch.ones(T, T, dtype=torch.bool).tril(diagonal=-1)


class DecoderBlock(solution.DecoderBlock):
    """The solution's block, built on this file's causal_mask."""

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D]."""
        with patch.object(solution, "causal_mask", causal_mask):
            return super().forward(x)
