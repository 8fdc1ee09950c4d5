"""Model answer for lab 1: a tanh RNN, single-head self-attention, and each input's influence on the last output."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def rnn_forward(x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> tuple[Tensor, Tensor]:
    """Run a tanh RNN over x [B, T, Din] from h0 [B, H]; return (outputs [B, T, H], h_last [B, H]).

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h): T steps, each waiting for the one before.
    """
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_xh + h @ W_hh + b_h)  # a new tensor each step: h0 is never written to
        states.append(h)
    return torch.stack(states, dim=1), h


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d].

    Every position reads every other in one step: no loop over time.
    """
    q, k, v = x @ W_q, x @ W_k, x @ W_v  # [B, T, d] each
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # [B, T, T]: row = query, column = key
    return torch.softmax(scores, dim=-1) @ v  # torch.softmax subtracts each row's maximum


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    x = x.detach().requires_grad_()  # a fresh leaf: the caller's tensor and its .grad stay untouched
    (grad,) = torch.autograd.grad(fn(x)[:, -1, :].sum(), x)  # [B, T, Din]
    return grad.pow(2).sum(dim=(0, 2)).sqrt()
