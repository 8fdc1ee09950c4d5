"""Model answer for lab 1. SCAFFOLD: write it."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor


def rnn_forward(x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> tuple[Tensor, Tensor]:
    """Run a tanh RNN over x [B, T, Din] from h0 [B, H]; return (outputs [B, T, H], h_last [B, H])."""
    raise NotImplementedError


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d]."""
    raise NotImplementedError


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    raise NotImplementedError
