"""Lab 8 starter: single-head attention forward, and its backward pass by hand (autograd is forbidden)."""

from __future__ import annotations

from torch import Tensor


def attention_forward(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """out = softmax(Q K^T / sqrt(d)) V with Q = X W_q, K = X W_k, V = X W_v; X (T, D), W_* (D, d) -> (T, d).

    One head, no mask, softmax over keys (the last dim), numerically stable for large scores.
    Return (out, cache): the cache is yours, a dict holding whatever `attention_backward` needs.
    """
    raise NotImplementedError


def softmax_backward(P: Tensor, dP: Tensor) -> Tensor:
    """dL/dS for P = softmax(S) along the last dim, given P (T, T) and dP = dL/dP (T, T).

    Return dS = P * (dP - rowsum(dP * P)), the row sums broadcast along each row.
    """
    raise NotImplementedError


def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients {"X", "W_q", "W_k", "W_v"} of L, given dout = dL/dout (T, d) and your forward's cache.

    Each gradient has the shape of its input. By hand: no torch.autograd, .backward() or torch.func.
    Return plain tensors (no grad_fn), even when the weights require grad.
    """
    raise NotImplementedError
