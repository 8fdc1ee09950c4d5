"""Lab 8 solution: single-head attention forward, and its backward pass written out by hand."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def attention_forward(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """out = softmax(Q K^T / sqrt(d)) V with Q = X W_q, K = X W_k, V = X W_v; X (T, D), W_* (D, d) -> (T, d).

    The cache keeps what the backward pass needs: the inputs, Q, K, V and the attention weights P.
    """
    Q, K, V = X @ W_q, X @ W_k, X @ W_v  # (T, d) each
    S = Q @ K.T / math.sqrt(Q.shape[-1])  # (T, T) scores: row i = query i, column j = key j
    S = S - S.amax(dim=-1, keepdim=True)  # stable softmax: exp never sees a positive number
    E = torch.exp(S)
    P = E / E.sum(dim=-1, keepdim=True)  # (T, T), rows sum to 1
    out = P @ V  # (T, d)
    cache = {"X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "Q": Q, "K": K, "V": V, "P": P}
    return out, cache


def softmax_backward(P: Tensor, dP: Tensor) -> Tensor:
    """dL/dS for P = softmax(S) along the last dim, given dL/dP: dS = P * (dP - rowsum(dP * P)).

    Each row's Jacobian is diag(p) - p p^T (symmetric), so its vector-Jacobian product is
    p * dp - p (p . dp).
    """
    return P * (dP - (dP * P).sum(dim=-1, keepdim=True))


@torch.no_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of L with respect to X, W_q, W_k and W_v, given dout = dL/dout (T, d)."""
    X, W_q, W_k, W_v = cache["X"], cache["W_q"], cache["W_k"], cache["W_v"]
    Q, K, V, P = cache["Q"], cache["K"], cache["V"], cache["P"]
    scale = 1.0 / math.sqrt(Q.shape[-1])
    dV = P.T @ dout  # (T, d): out = P V
    dP = dout @ V.T  # (T, T)
    dS = softmax_backward(P, dP)  # (T, T)
    dQ = dS @ K * scale  # (T, d): S = Q K^T * scale
    dK = dS.T @ Q * scale  # (T, d): key j is column j of S
    return {
        "X": dQ @ W_q.T + dK @ W_k.T + dV @ W_v.T,  # X feeds Q, K and V: three paths add up
        "W_q": X.T @ dQ,  # (D, d), the shape of W_q
        "W_k": X.T @ dK,
        "W_v": X.T @ dV,
    }
