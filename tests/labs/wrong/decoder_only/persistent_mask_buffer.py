"""Wrong: the mask is a persistent buffer (nanoGPT's attn.bias), an extra state_dict key the reference lacks.

Message: a causal mask registered as a persistent buffer
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import causal_mask  # the correct part

MAX_LEN = 64


class CausalSelfAttention(solution.CausalSelfAttention):
    """Self-attention that stores its mask in the state dict."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__(d_model, n_heads)
        self.register_buffer("bias", causal_mask(MAX_LEN))

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = (t.view(B, T, self.n_heads, hs).transpose(1, 2) for t in self.qkv(x).split(C, dim=-1))
        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)
        scores = scores.masked_fill(~self.bias[:T, :T], float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))


class DecoderBlock(solution.DecoderBlock):
    """The solution's block with the buffered mask."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__(d_model, n_heads, d_ff)
        self.attn = CausalSelfAttention(d_model, n_heads)
