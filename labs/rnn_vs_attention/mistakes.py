"""Known wrong answers of lab 1, computed from the inputs (in float64) so that failure messages can name them."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

Step = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]

# ----- rnn_forward

W_HH_TRANSPOSED = (
    "h_{t-1} multiplied by W_hh transposed (h @ W_hh.T): W_hh is [H_in, H_out] here, used as h @ W_hh (nn.RNN "
    "stores the transpose)"
)
BIAS_OUTSIDE = "b_h added after the tanh instead of inside it: h_t = tanh(x_t W_xh + h_{t-1} W_hh + b_h)"
BIAS_TWICE = "b_h added twice (nn.RNN has two biases, b_ih and b_hh; this RNN has one)"
RELU = "ReLU used instead of tanh"
NO_H0 = "h0 ignored: the recurrence started from zeros instead of from h0"
SHIFTED = (
    "outputs shifted by one step: outputs[:, t] holds the state before step t (h0 first, the last state missing); "
    "it must hold h_t, the state after reading x_t"
)
SAME_TENSOR = (
    "one hidden-state tensor updated in place and appended at every step, so every output is the last state "
    "(assign a new tensor each step: h = torch.tanh(...))"
)
WITH_H0 = "outputs that start with h0 ([B, T + 1, H]): outputs[:, t] is the state after reading x_t, h_1 .. h_T"
TIME_FIRST = "outputs stacked time-first [T, B, H] (torch.stack without dim=1): the contract is batch-first [B, T, H]"
H_LAST_FIRST = "h_last is the state after the first step, not after the last one"
H_LAST_H0 = "h_last is h0, the state before any step"
DETACHED = (
    "the hidden state detached between steps (h.detach() or .data): the gradient stops after one step, so "
    "earlier inputs get no gradient (truncated backpropagation through time with a window of 1)"
)

# ----- self_attention

NO_SCALE = "attention without the 1/sqrt(d) scale"
SCALE_D = "scores divided by d instead of sqrt(d)"
SCALE_MODEL_DIM = "scores divided by sqrt(D), the model width, instead of sqrt(d), the head width (W_q.shape[1])"
SOFTMAX_QUERIES = "softmax over the queries (dim 1) instead of over the keys (the last dim)"
SOFTMAX_BATCH = "softmax over the batch (dim 0) instead of over the keys (the last dim)"
CAUSAL = "a causal mask was applied: this self-attention has no mask, every position sees every other"
NO_VALUE_PROJ = "the attention weights applied to x instead of to V = x W_v"
WEIGHTS_ONLY = "the attention weights returned without multiplying them by V"
UNSTABLE = (
    "an unstable softmax: exp() of large scores overflows to inf (inf / inf = NaN); subtract each row's maximum "
    "first, as torch.softmax does"
)

# ----- influence

ALL_OUTPUTS = "the gradient of fn(x).sum(), every step's output, instead of only the last step's fn(x)[:, -1, :]"
FIRST_OUTPUT = "the gradient of the first step's output fn(x)[:, 0, :] instead of the last step's"
MEAN_OUTPUT = "the gradient of fn(x)[:, -1, :].mean() instead of .sum()"
ROW_NORMS_SUMMED = (
    "one 2-norm per batch row, then added up: the contract takes a single 2-norm over batch and features together"
)
SQUARED = "the squared 2-norm (the square root is missing)"
L1_NORM = "the 1-norm (sum of absolute values) instead of the 2-norm"
FIRST_ROW = "only the first batch row's gradient (the norm runs over the whole batch as well as the features)"
FEATURES_ONLY = "the 2-norm over the features alone ([B, T]): take it over batch and features together, dims 0 and 2"
OVER_TIME = "the 2-norm taken over time (dim 1) instead of over batch and features (dims 0 and 2)"
ACCUMULATED = (
    "gradients accumulated in x.grad across calls (backward() into the caller's tensor adds to what is there): "
    "take the gradient of a fresh leaf, x.detach().requires_grad_(), or use torch.autograd.grad"
)


def _steps() -> dict[str | None, Step]:
    """One RNN step per known mistake (None: the correct step), each (x_t, h, W_xh, W_hh, b_h) -> h_t."""
    return {
        None: lambda xt, h, W_xh, W_hh, b: torch.tanh(xt @ W_xh + h @ W_hh + b),
        W_HH_TRANSPOSED: lambda xt, h, W_xh, W_hh, b: torch.tanh(xt @ W_xh + h @ W_hh.T + b),
        BIAS_OUTSIDE: lambda xt, h, W_xh, W_hh, b: torch.tanh(xt @ W_xh + h @ W_hh) + b,
        BIAS_TWICE: lambda xt, h, W_xh, W_hh, b: torch.tanh(xt @ W_xh + h @ W_hh + 2 * b),
        RELU: lambda xt, h, W_xh, W_hh, b: torch.relu(xt @ W_xh + h @ W_hh + b),
    }


def run_rnn(
    x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor, step: Step, detach: bool = False
) -> list[Tensor]:
    """The states h_1 .. h_T of a recurrence with a given step (a plain loop, in the inputs' dtype)."""
    h, states = h0, []
    for t in range(x.shape[1]):
        h = step(x[:, t], h.detach() if detach else h, W_xh, W_hh, b_h)
        states.append(h)
    return states


def _f64(*ts: Tensor) -> list[Tensor]:
    return [t.detach().double() for t in ts]


def _cast(table: dict[str, Tensor], dtype: torch.dtype) -> dict[str, Tensor]:
    return {description: value.to(dtype) for description, value in table.items()}


def rnn_mistakes(
    x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(outputs, h_last) under each known mistake, as {description: value} in x's dtype."""
    args = _f64(x, h0, W_xh, W_hh, b_h)
    outputs: dict[str, Tensor] = {}
    last: dict[str, Tensor] = {}
    for name, step in _steps().items():
        if name is not None:
            states = run_rnn(*args, step=step)
            outputs[name], last[name] = torch.stack(states, dim=1), states[-1]
    zero_start = run_rnn(args[0], torch.zeros_like(args[1]), *args[2:], step=_steps()[None])
    outputs[NO_H0], last[NO_H0] = torch.stack(zero_start, dim=1), zero_start[-1]
    states = run_rnn(*args, step=_steps()[None])
    outputs[SHIFTED] = torch.stack([args[1], *states[:-1]], dim=1)
    outputs[SAME_TENSOR] = torch.stack([states[-1]] * len(states), dim=1)
    outputs[TIME_FIRST] = torch.stack(states, dim=0)
    outputs[WITH_H0] = torch.stack([args[1], *states], dim=1)
    last[H_LAST_FIRST], last[H_LAST_H0] = states[0], args[1]
    return _cast(outputs, x.dtype), _cast(last, x.dtype)


def rnn_gradient_mistakes(
    inputs: dict[str, Tensor], upstream: tuple[Tensor, Tensor], name: str
) -> dict[str, Tensor]:
    """The gradient with respect to input `name` of sum(outputs * U) + sum(h_last * U_last) under each mistake."""
    leaves = {k: v.detach().double().requires_grad_() for k, v in inputs.items()}
    states = run_rnn(*leaves.values(), step=_steps()[None], detach=True)
    u_out, u_last = (u.double() for u in upstream)
    loss = (torch.stack(states, dim=1) * u_out).sum() + (states[-1] * u_last).sum()
    (grad,) = torch.autograd.grad(loss, leaves[name], allow_unused=True)
    grad = torch.zeros_like(leaves[name]) if grad is None else grad
    return {DETACHED: grad.to(inputs[name].dtype)}


def attention_mistakes(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> dict[str, Tensor]:
    """What common self-attention mistakes return, in x's dtype."""
    x64, Wq, Wk, Wv = _f64(x, W_q, W_k, W_v)
    q, k, v = x64 @ Wq, x64 @ Wk, x64 @ Wv
    T, D, d = x.shape[1], x.shape[2], Wq.shape[1]
    raw = q @ k.transpose(-2, -1)
    p = torch.softmax(raw / math.sqrt(d), dim=-1)
    future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
    table = {
        NO_SCALE: torch.softmax(raw, dim=-1) @ v,
        SCALE_D: torch.softmax(raw / d, dim=-1) @ v,
        SCALE_MODEL_DIM: torch.softmax(raw / math.sqrt(D), dim=-1) @ v,
        SOFTMAX_QUERIES: torch.softmax(raw / math.sqrt(d), dim=-2) @ v,
        SOFTMAX_BATCH: torch.softmax(raw / math.sqrt(d), dim=0) @ v,
        CAUSAL: torch.softmax((raw / math.sqrt(d)).masked_fill(future, float("-inf")), dim=-1) @ v,
        NO_VALUE_PROJ: p @ x64,
        WEIGHTS_ONLY: p,
    }
    return _cast(table, x.dtype)


def _norm(grad: Tensor) -> Tensor:
    return grad.pow(2).sum(dim=(0, 2)).sqrt()


def influence_mistakes(fn: Callable[[Tensor], Tensor], x: Tensor) -> dict[str, Tensor]:
    """What common mistakes in `influence` return for fn and x (gradients by autograd, in x's dtype)."""
    leaf = x.detach().clone().requires_grad_()
    out = fn(leaf)

    def grad_of(value: Tensor) -> Tensor:
        (g,) = torch.autograd.grad(value, leaf, retain_graph=True, allow_unused=True)
        return torch.zeros_like(leaf) if g is None else g.detach()

    last = grad_of(out[:, -1, :].sum())
    return {
        ALL_OUTPUTS: _norm(grad_of(out.sum())),
        FIRST_OUTPUT: _norm(grad_of(out[:, 0, :].sum())),
        MEAN_OUTPUT: _norm(grad_of(out[:, -1, :].mean())),
        ROW_NORMS_SUMMED: last.norm(dim=2).sum(dim=0),
        SQUARED: last.pow(2).sum(dim=(0, 2)),
        L1_NORM: last.abs().sum(dim=(0, 2)),
        FIRST_ROW: last[0].norm(dim=-1),
        FEATURES_ONLY: last.norm(dim=-1),
        OVER_TIME: last.norm(dim=1),
    }


def detached_influence(expected: Tensor) -> dict[str, Tensor]:
    """The RNN influence when the state is detached between steps: only the last input keeps its gradient."""
    cut = torch.zeros_like(expected)
    cut[-1] = expected[-1]
    return {DETACHED: cut}
