"""The reference decoder-only Transformer (RoPE, pre-LN, GPT-2 block names) that the labs are graded against.

Read it top to bottom, next to karpathy/nanoGPT `model.py` and meta-llama `llama/model.py`:

    idx (B, T) -> wte -> [DecoderBlock] * n_layers -> ln_f -> lm_head -> logits (B, T, V)
    DecoderBlock: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))

Conventions shared with every lab (docs/LABS.md):
- attention tensors are (B, nh, T, hs); boolean masks say True = "may attend", as in
  F.scaled_dot_product_attention;
- RoPE uses the rotate-half layout (GPT-NeoX, LLaMA in Hugging Face);
- a KV cache is any object with `seq_len` and `update(layer, k, v) -> (k_all, v_all)` (`Cache` below).
  The model reads `cache.seq_len` once, at the start of `forward`, as `start_pos`: the position of the
  first new token. It never advances `seq_len` itself: the cache does, when layer 0 is updated
  (`KVCache.seq_len` is simply the number of time steps stored for layer 0). Keys are cached after
  RoPE, as in llama, so a cached key never needs rotating again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ---------------------------------------------------------------------------------------------
# Configuration and the cache protocol
# ---------------------------------------------------------------------------------------------


@dataclass
class GPTConfig:
    """Sizes of a TinyGPT. `d_ff` defaults to 4 * d_model; `norm` is "layernorm" or "rmsnorm"."""

    vocab_size: int
    d_model: int
    n_heads: int
    n_layers: int
    max_seq_len: int
    d_ff: int | None = None
    rope_base: float = 10000.0
    norm: str = "layernorm"

    def __post_init__(self) -> None:
        if self.d_ff is None:
            self.d_ff = 4 * self.d_model
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.head_dim % 2 != 0:
            raise ValueError(f"RoPE needs an even head size, got d_model / n_heads = {self.head_dim}")
        if self.norm not in ("layernorm", "rmsnorm"):
            raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {self.norm!r}")

    @property
    def head_dim(self) -> int:
        """Size of one attention head (hs)."""
        return self.d_model // self.n_heads


class Cache(Protocol):
    """What TinyGPT needs from a KV cache (docs/LABS.md, lab 6)."""

    @property
    def seq_len(self) -> int:
        """Positions seen so far; the model reads it once per forward as the offset of the new tokens."""
        ...

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store k, v (B, nh, T_new, hs) for `layer`; return every key and value to attend to.

        The new entries must be the last T_new along time (dim 2): the causal mask lines the new
        queries up with the end of k_all.
        """
        ...


class KVCache:
    """Keys and values of every layer, appended along time (dim 2).

    `seq_len` is the number of time steps stored for layer 0, so it grows by T_new when layer 0 is
    updated; TinyGPT reads it before updating any layer, so within one forward every layer sees the
    same `start_pos`.
    """

    def __init__(self, n_layers: int) -> None:
        self.keys: list[Tensor | None] = [None] * n_layers  # each (B, nh, T_seen, hs)
        self.values: list[Tensor | None] = [None] * n_layers

    @property
    def seq_len(self) -> int:
        """Positions seen so far (the time length of layer 0)."""
        k0 = self.keys[0]
        return 0 if k0 is None else k0.size(2)

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, nh, T_new, hs) to `layer`'s cache; return all of that layer's keys and values."""
        k_old, v_old = self.keys[layer], self.values[layer]
        if k_old is not None and v_old is not None:
            k = torch.cat([k_old, k], dim=2)  # (B, nh, T_seen + T_new, hs)
            v = torch.cat([v_old, v], dim=2)
        self.keys[layer], self.values[layer] = k, v
        return k, v

    def nbytes(self) -> int:
        """Memory held by every stored key and value."""
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values) if t is not None)


# ---------------------------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------------------------


def causal_mask(t_q: int, t_k: int | None = None, device: torch.device | str | None = None) -> Tensor:
    """Bool (t_q, t_k), True where query i may attend key j: j <= i + (t_k - t_q).

    The queries are the LAST t_q of the t_k positions, so with a cache (t_k > t_q) the new tokens see
    every cached key and the new keys up to themselves. With t_k = t_q it is the lower triangle.
    """
    t_k = t_q if t_k is None else t_k
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril(diagonal=t_k - t_q)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """softmax(q k^T / sqrt(hs)) v for q (..., T_q, hs), k, v (..., T_k, hs); mask broadcasts to (..., T_q, T_k)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, nh, T_q, T_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, nh, T_q, T_k), each row sums to 1
    return weights @ v  # (B, nh, T_q, hs)


class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate projections (lab 4; the layout of nn.MultiheadAttention)."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x (B, T, C) attends to itself, or to `context` (B, S, C) when given (cross-attention)."""
        B, T, C = x.shape
        source = x if context is None else context
        S = source.size(1)
        hs = C // self.n_heads
        q = self.q_proj(x).view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = self.k_proj(source).view(B, S, self.n_heads, hs).transpose(1, 2)  # (B, nh, S, hs)
        v = self.v_proj(source).view(B, S, self.n_heads, hs).transpose(1, 2)  # (B, nh, S, hs)
        y = scaled_dot_product_attention(q, k, v, mask)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C): heads side by side
        return self.out_proj(y)


# ---------------------------------------------------------------------------------------------
# Rotary position embedding (RoPE), rotate-half layout
# ---------------------------------------------------------------------------------------------


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """The d/2 rotation speeds base^(-2i/d), i = 0 .. d/2 - 1 (fastest first)."""
    return 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float32) / d))


def precompute_rope(positions: Tensor, head_dim: int, base: float = 10000.0) -> tuple[Tensor, Tensor]:
    """cos and sin of position * frequency, each (T, hs): the two halves of a head share one angle."""
    freqs = rope_frequencies(head_dim, base).to(positions.device)  # (hs/2,)
    angles = positions.to(torch.float32)[:, None] * freqs[None, :]  # (T, hs/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, hs)
    return angles.cos(), angles.sin()


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) -> (-x2, x1) on the last dim, split in two halves."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate x (..., T, hs) by precomputed cos, sin (T, hs): (x1 cos - x2 sin, x2 cos + x1 sin)."""
    return x * cos.to(x.dtype) + rotate_half(x) * sin.to(x.dtype)


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """RoPE for x (..., T, d) at integer positions (T,) (lab 3)."""
    cos, sin = precompute_rope(positions, x.size(-1), base)
    return apply_rotary(x, cos, sin)


# ---------------------------------------------------------------------------------------------
# Normalisation and the MLP
# ---------------------------------------------------------------------------------------------


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) * weight + bias over the last dim, biased variance (as nn.LayerNorm)."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise each feature vector of x (..., d)."""
        mean = x.mean(dim=-1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight over the last dim (llama): no centring, no bias."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: Tensor) -> Tensor:
        """Rescale each feature vector of x (..., d) to unit root-mean-square."""
        return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps) * self.weight


def make_norm(kind: str, d: int) -> nn.Module:
    """LayerNorm or RMSNorm, by GPTConfig.norm."""
    if kind == "layernorm":
        return LayerNorm(d)
    if kind == "rmsnorm":
        return RMSNorm(d)
    raise ValueError(f"norm must be 'layernorm' or 'rmsnorm', got {kind!r}")


def gelu(x: Tensor) -> Tensor:
    """Exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class MLP(nn.Module):
    """Position-wise feed-forward: fc (d -> d_ff), exact GELU, proj (d_ff -> d)."""

    def __init__(self, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff)
        self.proj = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.proj(gelu(self.fc(x)))


# ---------------------------------------------------------------------------------------------
# The decoder block and the model
# ---------------------------------------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    """Causal self-attention with one fused projection `qkv` (q, then k, then v) and an output `proj`."""

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(
        self,
        x: Tensor,
        rope: tuple[Tensor, Tensor] | None = None,
        cache: Cache | None = None,
        layer_idx: int = 0,
    ) -> Tensor:
        """x (B, T, C) -> (B, T, C).

        rope: (cos, sin) of the T new positions, or None for no positional rotation (a bare block, as
        in lab 19). cache: when given, the new keys and values are handed to `cache.update(layer_idx,
        ...)` and the queries attend to everything it returns.
        """
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        if rope is not None:
            cos, sin = rope
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if cache is not None:
            k, v = cache.update(layer_idx, k, v)  # (B, nh, T_k, hs), the T new entries last
        mask = causal_mask(T, k.size(2), device=x.device)  # (T, T_k), aligned with the end of k
        y = scaled_dot_product_attention(q, k, v, mask)  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.proj(y)


class DecoderBlock(nn.Module):
    """Pre-LN decoder block: x + attn(ln_1(x)), then x + mlp(ln_2(x)) (lab 19 keeps these names)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm: str = "layernorm") -> None:
        super().__init__()
        self.ln_1 = make_norm(norm, d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.ln_2 = make_norm(norm, d_model)
        self.mlp = MLP(d_model, d_ff)

    def forward(
        self,
        x: Tensor,
        rope: tuple[Tensor, Tensor] | None = None,
        cache: Cache | None = None,
        layer_idx: int = 0,
    ) -> Tensor:
        """(B, T, C) -> (B, T, C); see CausalSelfAttention.forward for rope and cache."""
        x = x + self.attn(self.ln_1(x), rope, cache, layer_idx)
        x = x + self.mlp(self.ln_2(x))
        return x


class TinyGPT(nn.Module):
    """Decoder-only language model: token embedding, RoPE blocks, final norm, tied output head.

    There is no learned position table: RoPE angles are computed from the positions themselves, so
    `config.max_seq_len` is the context the model is meant for, not a hard limit (lab 7 decodes past it).
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        d_ff = config.d_ff or 4 * config.d_model
        self.wte = nn.Embedding(config.vocab_size, config.d_model)
        self.h = nn.ModuleList(
            DecoderBlock(config.d_model, config.n_heads, d_ff, config.norm) for _ in range(config.n_layers)
        )
        self.ln_f = make_norm(config.norm, config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as GPT-2
        self.apply(self._init_weights)
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight"):
                # GPT-2: scale the projections into the residual stream by 1/sqrt(2 * n_layers)
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: Tensor, cache: Cache | None = None) -> Tensor:
        """Logits (B, T, V) for tokens idx (B, T).

        Without a cache, idx is a whole sequence starting at position 0. With one, idx holds the T new
        tokens that follow the cache.seq_len positions already seen: they get positions start_pos ..
        start_pos + T - 1 and attend to whatever the cache returns for each layer.
        """
        B, T = idx.shape
        start_pos = 0 if cache is None else int(cache.seq_len)  # read once, before any layer updates it
        positions = torch.arange(start_pos, start_pos + T, device=idx.device)  # (T,)
        rope = precompute_rope(positions, self.config.head_dim, self.config.rope_base)  # 2 x (T, hs)
        x = self.wte(idx)  # (B, T, C)
        for layer_idx, block in enumerate(self.h):
            x = block(x, rope, cache, layer_idx)  # (B, T, C)
        x = self.ln_f(x)  # (B, T, C)
        return self.lm_head(x)  # (B, T, V)
