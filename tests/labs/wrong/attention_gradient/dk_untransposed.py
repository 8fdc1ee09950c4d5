"""Wrong: dK is computed as dS Q / sqrt(d), without transposing dS."""

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


@torch.no_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of X, W_q, W_k, W_v by hand."""
    X, W_q, W_k, W_v = cache["X"], cache["W_q"], cache["W_k"], cache["W_v"]
    Q, K, V, P = cache["Q"], cache["K"], cache["V"], cache["P"]
    scale = 1.0 / math.sqrt(Q.shape[-1])
    dV = P.T @ dout
    dP = dout @ V.T
    dS = softmax_backward(P, dP)
    dQ = dS @ K * scale
    dK = dS @ Q * scale
    dX = dQ @ W_q.T + dK @ W_k.T + dV @ W_v.T
    return {"X": dX, "W_q": X.T @ dQ, "W_k": X.T @ dK, "W_v": X.T @ dV}
