"""The bias argument is ignored: the four projections always have a bias, even with bias=False.

Message: has a bias; each projection is nn.Linear(d_model, d_model, bias)
"""

from __future__ import annotations

from torch import nn

from labs.multi_head_attention import solution
from labs.multi_head_attention.solution import merge_heads, split_heads  # the correct part


class MultiHeadAttention(solution.MultiHeadAttention):
    """The solution's attention, built as if bias were always True."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        """Four nn.Linear(d_model, d_model), bias or not."""
        super().__init__(d_model, n_heads)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))
