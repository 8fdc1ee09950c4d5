"""forward returns (output, attention weights), as nn.MultiheadAttention does, instead of the output alone.

Message: not (output, weights)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """Returns the weights too."""

    def forward(  # type: ignore[override]
        self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """(output [B, T, D], weights [B, H, T, S])."""
        source = x if context is None else context
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(source), self.n_heads)
        v = split_heads(self.v_proj(source), self.n_heads)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj(merge_heads(weights @ v)), weights
