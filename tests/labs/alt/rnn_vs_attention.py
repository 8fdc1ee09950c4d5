"""A correct lab 1 written differently: float64 inside the RNN with the input projections precomputed, attention
through einsum and logsumexp with the scores as x (W_q W_k^T) x^T, and the influence by .backward() on a
leaf of its own with the last step's cotangent, one norm per position."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def rnn_forward(x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> tuple[Tensor, Tensor]:
    """Run a tanh RNN over x [B, T, Din] from h0 [B, H]; return (outputs [B, T, H], h_last [B, H])."""
    B, T, _ = x.shape
    f64 = torch.float64
    drive = torch.einsum("btd,dh->bth", x.to(f64), W_xh.to(f64)) + b_h.to(f64)  # every step's input term at once
    recurrent = W_hh.to(f64)
    outputs = x.new_empty(B, T, h0.shape[-1], dtype=f64)  # filled one step at a time
    h = h0.to(f64)
    for t in range(T):
        h = (drive[:, t] + h @ recurrent).tanh()
        outputs[:, t] = h
    outputs = outputs.to(x.dtype)
    return outputs, outputs[:, -1]  # h_last is a view of the last step


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d]."""
    d = W_q.shape[1]
    bilinear = W_q @ W_k.T  # [D, D]: q_i . k_j = x_i (W_q W_k^T) x_j
    scores = torch.einsum("bid,de,bje->bij", x, bilinear, x) * d**-0.5
    log_weights = scores - torch.logsumexp(scores, dim=-1, keepdim=True)
    return torch.einsum("bij,bjd->bid", log_weights.exp(), torch.einsum("btD,Dd->btd", x, W_v))


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    leaf = x.detach().clone().requires_grad_()  # a leaf of our own: .backward() fills leaf.grad, never x.grad
    out = fn(leaf)
    last_step = torch.zeros_like(out)
    last_step[:, -1, :] = 1.0  # the cotangent of fn(x)[:, -1, :].sum()
    (out * last_step).sum().backward()
    grad = leaf.grad
    assert grad is not None
    return torch.stack([torch.sqrt(torch.sum(grad[:, t] * grad[:, t])) for t in range(grad.shape[1])])
