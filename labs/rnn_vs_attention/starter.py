"""Lab 1 starter: a tanh RNN, single-head self-attention, and the influence of each input on the last output."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor


def rnn_forward(x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> tuple[Tensor, Tensor]:
    """Run a tanh RNN over x [B, T, Din] from h0 [B, H]; return (outputs [B, T, H], h_last [B, H]).

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h) for t = 1 .. T, with W_xh [Din, H], W_hh [H, H], b_h [H].
    outputs[:, t] is the state after reading x[:, t]; h_last is the state after the last step.
    Keep it differentiable, and leave the inputs unchanged. nn.RNN, nn.RNNCell and torch.rnn_tanh are forbidden.
    """
    raise NotImplementedError


def self_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """Single-head attention without a mask, scaled by 1/sqrt(d): x [B, T, D] -> [B, T, d].

    Q = x W_q, K = x W_k, V = x W_v (each W is [D, d]); softmax(Q K^T / sqrt(d)) over the keys, times V.
    Stable for large scores. F.scaled_dot_product_attention and nn.MultiheadAttention are forbidden.
    """
    raise NotImplementedError


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :].

    fn maps [B, T, Din] to [B, T, H] (for example your rnn_forward's outputs, or self_attention). Entry t is
    one norm over the batch and the features of x[:, t, :]'s gradient. Use autograd; leave x as it was.
    """
    raise NotImplementedError
