"""Model answer for lab 19: the causal mask and a pre-LN GPT decoder block."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: the lower triangle with the diagonal."""
    return torch.ones(T, T, dtype=torch.bool).tril()  # row i (query) may attend keys 0..i


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with a fused q/k/v projection `qkv` and an output projection `proj`."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C); query t attends keys 0..t."""
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=-1)  # 3 x (B, T, C): q first, then k, then v
        q, k, v = (t.view(B, T, self.n_heads, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, nh, T, T)
        scores = scores.masked_fill(~causal_mask(T).to(x.device), float("-inf"))  # True = may attend
        y = torch.softmax(scores, dim=-1) @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.proj(y)


class MLP(nn.Module):
    """Position-wise feed-forward: fc (d -> d_ff), exact GELU, proj (d_ff -> d)."""

    def __init__(self, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff)
        self.proj = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.proj(F.gelu(self.fc(x)))  # F.gelu's default is the exact erf form


class DecoderBlock(nn.Module):
    """A pre-LN GPT block: ln_1, attn (qkv, proj), ln_2, mlp (fc, proj)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        """The block's layers, named as labs.reference.DecoderBlock's."""
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, d_ff)

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D], causal."""
        x = x + self.attn(self.ln_1(x))  # a new tensor: the caller's x is left alone
        return x + self.mlp(self.ln_2(x))
