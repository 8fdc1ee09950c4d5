"""Wrong: qkv is read per head (view(B, T, H, 3 * hs)), the Megatron layout, not q | k | v.

Message: qkv split per head
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # the correct part


class CausalSelfAttention(solution.CausalSelfAttention):
    """Self-attention that reads the fused projection head by head."""

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        B, T, C = x.shape
        hs = C // self.n_heads
        per_head = self.qkv(x).view(B, T, self.n_heads, 3 * hs).transpose(1, 2)  # (B, H, T, 3 hs)
        q, k, v = per_head.split(hs, dim=-1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)
        scores = scores.masked_fill(~causal_mask(T).to(x.device), float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the interleaved qkv layout."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.attn = CausalSelfAttention(d_model, n_heads)
