"""Wrong: attention without the causal mask, so every position sees the future.

Message: attention without the causal mask
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # noqa: F401 - the correct part


class CausalSelfAttention(solution.CausalSelfAttention):
    """Self-attention that forgot to mask."""

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C), every query attending every key."""
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = (t.view(B, T, self.n_heads, hs).transpose(1, 2) for t in self.qkv(x).split(C, dim=-1))
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hs), dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the unmasked attention."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.attn = CausalSelfAttention(d_model, n_heads)
