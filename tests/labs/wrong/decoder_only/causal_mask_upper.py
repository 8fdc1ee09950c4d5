"""Wrong: causal_mask returns the upper triangle (triu), so each query sees itself and the future.

Message: the upper triangle
"""

from __future__ import annotations

from unittest.mock import patch

import torch
from torch import Tensor

from labs.decoder_only import solution


def causal_mask(T: int) -> Tensor:
    """Bool [T, T] with the wrong triangle."""
    return torch.ones(T, T, dtype=torch.bool).triu()


class DecoderBlock(solution.DecoderBlock):
    """The solution's block, built on this file's causal_mask."""

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D]."""
        with patch.object(solution, "causal_mask", causal_mask):
            return super().forward(x)
