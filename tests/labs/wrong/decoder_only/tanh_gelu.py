"""Wrong: the MLP uses the tanh approximation of GELU (GPT-2's gelu_new) instead of the exact erf form.

Message: the tanh approximation of GELU
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # noqa: F401 - the correct part


class MLP(solution.MLP):
    """fc, tanh-GELU, proj."""

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.proj(F.gelu(self.fc(x), approximate="tanh"))


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the approximate GELU."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.mlp = MLP(d_model, d_ff)
