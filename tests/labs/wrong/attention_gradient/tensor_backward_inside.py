"""Wrong: the "manual" backward calls .backward() on a replayed forward (autograd is forbidden in this lab)."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def attention_forward(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Single-head attention; the cache holds the inputs, Q, K, V and P."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    S = Q @ K.T / math.sqrt(Q.shape[-1])
    E = torch.exp(S - S.amax(dim=-1, keepdim=True))
    P = E / E.sum(dim=-1, keepdim=True)
    return P @ V, {"X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "Q": Q, "K": K, "V": V, "P": P}


def softmax_backward(P: Tensor, dP: Tensor) -> Tensor:
    """dS for P = softmax(S) along the last dim."""
    return P * (dP - (dP * P).sum(dim=-1, keepdim=True))


@torch.enable_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of X, W_q, W_k, W_v, by calling .backward() on a replayed forward."""
    leaves = [cache[k].detach().clone().requires_grad_() for k in ("X", "W_q", "W_k", "W_v")]
    out, _ = attention_forward(*leaves)
    (out * dout).sum().backward()
    return {k: t.grad for k, t in zip(("X", "W_q", "W_k", "W_v"), leaves, strict=True)}
