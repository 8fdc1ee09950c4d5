"""The attention itself is delegated to F.scaled_dot_product_attention, which this lab forbids.

Message: is forbidden in this lab
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """Projections by hand, attention by PyTorch."""

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        source = x if context is None else context
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(source), self.n_heads)
        v = split_heads(self.v_proj(source), self.n_heads)
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(merge_heads(y))
