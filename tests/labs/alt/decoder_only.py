"""Alternative correct lab 19: a hand-written LayerNorm, one head at a time with einsum, float64 inside.

Differs from the solution on purpose: the mask by index comparison, turned into an additive 0 / -inf bias and
cached as a non-persistent buffer that grows on demand; a softmax written out (max subtracted); GELU from
erf by hand; the MLP an nn.ModuleDict; dropout modules that are off in eval mode.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: the lower triangle with the diagonal."""
    positions = torch.arange(T)
    return positions.unsqueeze(1) >= positions.unsqueeze(0)  # key j visible from query i iff j <= i


class Norm(nn.Module):
    """LayerNorm over the last dim (biased variance, eps 1e-5), computed in float64."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise each feature vector."""
        x64 = x.double()
        mu = x64.mean(-1, keepdim=True)
        sigma2 = ((x64 - mu) ** 2).mean(-1, keepdim=True)
        return ((x64 - mu) * torch.rsqrt(sigma2 + 1e-5)).to(x.dtype) * self.weight + self.bias


class HeadLoopAttention(nn.Module):
    """Causal self-attention, one head at a time; the mask bias is a buffer kept out of the state dict."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        self.heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("bias_cache", torch.zeros(0, 0), persistent=False)

    def additive_mask(self, T: int, device: torch.device) -> Tensor:
        """0 where a key is visible, -inf where it is in the future; (T, T), grown and cached as needed."""
        if self.bias_cache.size(0) < T:
            allowed = causal_mask(T)
            self.bias_cache = torch.zeros(T, T).masked_fill(~allowed, -math.inf).to(device)
        return self.bias_cache[:T, :T].to(device, torch.float64)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        B, T, C = x.shape
        hs = C // self.heads
        fused = self.qkv(x).double()
        bias = self.additive_mask(T, x.device)
        outputs = []
        for h in range(self.heads):
            q = fused[..., h * hs : (h + 1) * hs]
            k = fused[..., C + h * hs : C + (h + 1) * hs]
            v = fused[..., 2 * C + h * hs : 2 * C + (h + 1) * hs]
            s = torch.einsum("bid,bjd->bij", q, k) / math.sqrt(hs) + bias
            e = torch.exp(s - s.max(dim=-1, keepdim=True).values)
            w = self.dropout(e / e.sum(dim=-1, keepdim=True))
            outputs.append(torch.einsum("bij,bjd->bid", w, v))
        return self.proj(torch.cat(outputs, dim=-1).to(x.dtype))


def erf_gelu(x: Tensor) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF."""
    return x * 0.5 * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


class DecoderBlock(nn.Module):
    """A pre-LN GPT block: ln_1, attn (qkv, proj), ln_2, mlp (fc, proj)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        """The block's layers, named as labs.reference.DecoderBlock's."""
        super().__init__()
        self.ln_1 = Norm(d_model)
        self.attn = HeadLoopAttention(d_model, n_heads)
        self.ln_2 = Norm(d_model)
        self.mlp = nn.ModuleDict({"fc": nn.Linear(d_model, d_ff), "proj": nn.Linear(d_ff, d_model)})
        self.residual_dropout = nn.Dropout(0.1)

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D], causal."""
        attended = x + self.residual_dropout(self.attn(self.ln_1(x)))
        hidden = erf_gelu(self.mlp["fc"](self.ln_2(attended)))
        return attended + self.residual_dropout(self.mlp["proj"](hidden))
