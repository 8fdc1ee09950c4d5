"""Wrong: the softmax is exp(s) / sum(exp(s)) without subtracting the row maximum, so large scores overflow.

Message: an unstable softmax
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # the correct part


class CausalSelfAttention(solution.CausalSelfAttention):
    """Self-attention with a naive softmax."""

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = (t.view(B, T, self.n_heads, hs).transpose(1, 2) for t in self.qkv(x).split(C, dim=-1))
        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)
        e = torch.exp(scores).masked_fill(~causal_mask(T).to(x.device), 0.0)
        weights = e / e.sum(dim=-1, keepdim=True)
        return self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the unstable softmax."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.attn = CausalSelfAttention(d_model, n_heads)
