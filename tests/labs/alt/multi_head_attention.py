"""A correct lab 4 written differently: heads as copies (chunk/stack, unbind/cat), a loop over heads with slices of
the projection weights, float64 inside, a mask applied with torch.where, and the softmax through logsumexp."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """[B, T, D] -> [B, H, T, D // H]: the feature axis cut into n_heads chunks, stacked as a new axis 1."""
    return torch.stack(x.chunk(n_heads, dim=-1), dim=1)


def merge_heads(x: Tensor) -> Tensor:
    """[B, H, T, dh] -> [B, T, H * dh]: the heads concatenated along the features, head 0 first."""
    return torch.cat(x.unbind(dim=1), dim=-1)


def _softmax(scores: Tensor) -> Tensor:
    """exp(s - logsumexp(s)) over the last dim: stable for any finite scores, exact 0 where a score is -inf."""
    return torch.exp(scores - torch.logsumexp(scores, dim=-1, keepdim=True))


class MultiHeadAttention(nn.Module):
    """Multi-head attention with projections q_proj, k_proj, v_proj and out_proj."""

    def __init__(self, d_model: int, n_heads: int, bias: bool = True) -> None:
        """Four nn.Linear(d_model, d_model, bias)."""
        super().__init__()
        self.d_model, self.n_heads = d_model, n_heads
        self.head_slices = [slice(h * (d_model // n_heads), (h + 1) * (d_model // n_heads)) for h in range(n_heads)]
        self.q_proj = nn.Linear(d_model, d_model, bias)
        self.k_proj = nn.Linear(d_model, d_model, bias)
        self.v_proj = nn.Linear(d_model, d_model, bias)
        self.out_proj = nn.Linear(d_model, d_model, bias)
        self.register_buffer("inv_scale", torch.tensor((d_model / n_heads) ** 0.5, dtype=torch.float64))

    @staticmethod
    def _head_projection(layer: nn.Linear, rows: slice, t: Tensor) -> Tensor:
        """Rows `rows` of the layer's output, computed in float64 from that slice of its weight."""
        w = layer.weight[rows].double()
        out = torch.einsum("bsd,ed->bse", t.double(), w)
        return out if layer.bias is None else out + layer.bias[rows].double()

    def forward(self, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None) -> Tensor:
        """x [B, T, D] attends to itself, or to context [B, S, D] when given -> [B, T, D]."""
        memory = context if context is not None else x
        B, T, _ = x.shape
        S = memory.shape[1]
        keep = None if mask is None else torch.broadcast_to(mask, (B, self.n_heads, T, S))
        outputs = []
        for h, rows in enumerate(self.head_slices):
            q = self._head_projection(self.q_proj, rows, x)  # (B, T, dh)
            k = self._head_projection(self.k_proj, rows, memory)  # (B, S, dh)
            v = self._head_projection(self.v_proj, rows, memory)  # (B, S, dh)
            scores = torch.einsum("btd,bsd->bts", q, k) / self.inv_scale
            if keep is not None:
                scores = torch.where(keep[:, h], scores, torch.full_like(scores, float("-inf")))
            outputs.append(torch.einsum("bts,bsd->btd", _softmax(scores), v))
        heads = torch.stack(outputs, dim=1)  # (B, H, T, dh), float64
        return self.out_proj(merge_heads(heads).to(x.dtype))
