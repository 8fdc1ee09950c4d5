"""Wrong: post-LN, x = ln(x + sublayer(x)) as in the original Transformer, instead of pre-LN.

Message: post-LN
"""

from __future__ import annotations

from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # noqa: F401 - the correct part


class DecoderBlock(solution.DecoderBlock):
    """The solution's layers in the post-LN order."""

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D]."""
        x = self.ln_1(x + self.attn(x))
        return self.ln_2(x + self.mlp(x))
