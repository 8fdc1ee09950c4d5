"""Autograder for lab 1: a tanh RNN against nn.RNN, self-attention against F.scaled_dot_product_attention, and
the influence of each input on the last output against autograd and closed forms."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from labs.grading import assert_close, looks_like, reference, seeded, seeded_many
from labs.rnn_vs_attention import mistakes

F64 = torch.float64
Case = tuple[int, int, int, int]
RNN_ARGS = ("x", "h0", "W_xh", "W_hh", "b_h")
# (B, T, Din, H): B, T, Din and H all different, so a transposed or time-first result has the wrong shape; T = 1.
RNN_CASES = [(3, 5, 4, 6), (2, 1, 3, 5), (4, 12, 7, 8)]
# (B, T, D, d): the model width D differs from the head width d, and d from T.
ATTN_CASES = [(2, 5, 8, 4), (3, 9, 6, 10)]


# ----------------------------------------------------------------------------------------------- oracles


def rnn_inputs(case: Case, device: torch.device, seed: int, w_hh: float = 0.4) -> dict[str, Tensor]:
    """x [B, T, Din], h0 [B, H], W_xh [Din, H], W_hh [H, H], b_h [H]; pre-activations of order 1 (no saturation)."""
    B, T, Din, H = case
    x, h0, W_xh, W_hh, b_h = seeded_many([(B, T, Din), (B, H), (Din, H), (H, H), (H,)], seed, device)
    return {"x": x, "h0": h0 * 0.5, "W_xh": W_xh / math.sqrt(Din), "W_hh": W_hh * w_hh, "b_h": b_h * 0.5}


def torch_rnn(W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> nn.RNN:
    """nn.RNN (tanh, batch-first, float64) carrying the lab's weights: it stores their transposes, and two biases."""
    Din, H = W_xh.shape
    with reference():
        rnn = nn.RNN(Din, H, nonlinearity="tanh", batch_first=True, device=W_xh.device, dtype=F64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_xh.T)
        rnn.weight_hh_l0.copy_(W_hh.T)
        rnn.bias_ih_l0.copy_(b_h)
        rnn.bias_hh_l0.zero_()
    return rnn


def expected_rnn(x: Tensor, h0: Tensor, W_xh: Tensor, W_hh: Tensor, b_h: Tensor) -> tuple[Tensor, Tensor]:
    """(outputs, h_last) from nn.RNN in float64, cast back to x's dtype."""
    with torch.no_grad():
        out, h_n = torch_rnn(W_xh, W_hh, b_h)(x.double(), h0.double().unsqueeze(0))
    return out.to(x.dtype), h_n[0].to(x.dtype)


def expected_attention(x: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """F.scaled_dot_product_attention (no mask, default 1/sqrt(d) scale) in float64, cast back to x's dtype."""
    x64 = x.double()
    with reference():
        out = F.scaled_dot_product_attention(x64 @ W_q.double(), x64 @ W_k.double(), x64 @ W_v.double())
    return out.to(x.dtype)


def influence_by_autograd(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The contract, by autograd: ||d fn(x)[:, -1, :].sum() / d x[:, t, :]||_2 for each t."""
    leaf = x.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(fn(leaf)[:, -1, :].sum(), leaf)
    return torch.linalg.vector_norm(grad, dim=(0, 2))


def require(condition: bool, message: str) -> None:
    """Fail with exactly `message` (no assertion rewriting noise) unless `condition` holds."""
    if not condition:
        raise AssertionError(message)


def call_rnn(lab: Any, inputs: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    """The learner's (outputs, h_last), checked to be a pair."""
    result = lab.rnn_forward(*inputs.values())
    require(isinstance(result, (tuple, list)) and len(result) == 2,
            f"rnn_forward must return a tuple (outputs, h_last), got {type(result).__name__}")  # fmt: skip
    return result


def rnn_case(case: Case, device: torch.device, seed: int) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Inputs for the learner, and an untouched copy for the expected values and the known mistakes."""
    inputs = rnn_inputs(case, device, seed)
    return inputs, {name: t.clone() for name, t in inputs.items()}


# ------------------------------------------------------------------------------------------ rnn_forward


@pytest.mark.parametrize("case", RNN_CASES, ids=str)
def test_rnn_outputs_match_nn_rnn(lab: Any, device: torch.device, case: Case) -> None:
    inputs, pristine = rnn_case(case, device, seed=1)
    outputs, _ = call_rnn(lab, inputs)
    assert_close(outputs, expected_rnn(*pristine.values())[0], name=f"rnn_forward outputs (B, T, Din, H = {case})",
                 mistakes=lambda: mistakes.rnn_mistakes(*pristine.values())[0])  # fmt: skip


@pytest.mark.parametrize("case", RNN_CASES, ids=str)
def test_rnn_last_state_matches_nn_rnn(lab: Any, device: torch.device, case: Case) -> None:
    inputs, pristine = rnn_case(case, device, seed=2)
    _, h_last = call_rnn(lab, inputs)
    assert_close(h_last, expected_rnn(*pristine.values())[1], name=f"rnn_forward h_last (B, T, Din, H = {case})",
                 mistakes=lambda: mistakes.rnn_mistakes(*pristine.values())[1])  # fmt: skip


def test_rnn_returns_batch_first_float32(lab: Any, device: torch.device) -> None:
    B, T, Din, H = RNN_CASES[0]
    outputs, h_last = call_rnn(lab, rnn_inputs(RNN_CASES[0], device, seed=3))
    for name, got, shape in (("outputs", outputs, (B, T, H)), ("h_last", h_last, (B, H))):
        require(isinstance(got, Tensor), f"rnn_forward's {name} must be a Tensor, got {type(got).__name__}")
        hint = looks_like(mistakes.TIME_FIRST) if name == "outputs" and tuple(got.shape) == (T, B, H) else ""
        require(tuple(got.shape) == shape,
                f"rnn_forward's {name}: expected shape {list(shape)}, got {list(got.shape)}{hint}")  # fmt: skip
        require(got.dtype == torch.float32, f"rnn_forward's {name}: float32 inputs give float32, got {got.dtype}")
        require(got.device.type == device.type, f"rnn_forward's {name} is on {got.device}, the inputs on {device}")


def test_rnn_leaves_its_inputs_unchanged(lab: Any, device: torch.device) -> None:
    inputs, before = rnn_case(RNN_CASES[0], device, seed=4)
    call_rnn(lab, inputs)
    for name, t in inputs.items():
        require(torch.equal(t, before[name]), f"rnn_forward modified its input {name} in place: build each new "
                "state as a new tensor (h = torch.tanh(...)), never write into h0 or the weights")  # fmt: skip


def expected_rnn_gradient(inputs: dict[str, Tensor], upstream: list[Tensor], name: str) -> Tensor:
    """d/d`name` of sum(outputs * U) + sum(h_last * U_last) through nn.RNN (float64 autograd), in the input's dtype."""
    rnn = torch_rnn(inputs["W_xh"], inputs["W_hh"], inputs["b_h"])  # the weights become its parameters
    x, h0 = (inputs[k].detach().double().requires_grad_() for k in ("x", "h0"))
    out, h_n = rnn(x, h0.unsqueeze(0))
    loss = (out * upstream[0].double()).sum() + (h_n[0] * upstream[1].double()).sum()
    wrt = {"x": x, "h0": h0, "W_xh": rnn.weight_ih_l0, "W_hh": rnn.weight_hh_l0, "b_h": rnn.bias_ih_l0}
    (grad,) = torch.autograd.grad(loss, wrt[name])
    grad = grad.T if name in ("W_xh", "W_hh") else grad  # nn.RNN stores the transposed weights
    return grad.to(inputs[name].dtype)


@pytest.mark.parametrize("name", RNN_ARGS)
def test_rnn_gradients_match_nn_rnn(lab: Any, device: torch.device, name: str) -> None:
    B, T, _, H = RNN_CASES[2]
    inputs = rnn_inputs(RNN_CASES[2], device, seed=5)
    upstream = seeded_many([(B, T, H), (B, H)], 6, device)
    expected = expected_rnn_gradient(inputs, upstream, name)
    leaves = {k: v.clone().requires_grad_() for k, v in inputs.items()}
    outputs, h_last = call_rnn(lab, leaves)
    require(isinstance(outputs, Tensor) and outputs.requires_grad, "rnn_forward's outputs do not require grad "
            "although the inputs do: keep the recurrence differentiable (no torch.no_grad(), .detach(), .item() "
            "or NumPy)")  # fmt: skip
    loss = (outputs * upstream[0]).sum() + (h_last * upstream[1]).sum()
    (got,) = torch.autograd.grad(loss, leaves[name], allow_unused=True)
    require(got is not None, f"rnn_forward's outputs do not depend on {name}: no gradient reached it")
    assert_close(got, expected, name=f"gradient with respect to {name} (backpropagation through time)",
                 atol=1e-5, rtol=1e-4,
                 mistakes=lambda: mistakes.rnn_gradient_mistakes(inputs, tuple(upstream), name))  # fmt: skip


# --------------------------------------------------------------------------------------- self_attention


def attention_inputs(case: Case, device: torch.device, seed: int) -> list[Tensor]:
    """x [B, T, D] and W_q, W_k, W_v [D, d]."""
    B, T, D, d = case
    x, *weights = seeded_many([(B, T, D)] + [(D, d)] * 3, seed, device)
    return [x, *(W / math.sqrt(D) * 1.5 for W in weights)]


@pytest.mark.parametrize("case", ATTN_CASES, ids=str)
def test_self_attention_matches_sdpa(lab: Any, device: torch.device, case: Case) -> None:
    x, W_q, W_k, W_v = attention_inputs(case, device, seed=10)
    expected = expected_attention(x, W_q, W_k, W_v)
    got = lab.self_attention(x.clone(), W_q, W_k, W_v)
    assert_close(got, expected, name=f"self_attention (B, T, D, d = {case})",
                 mistakes=lambda: mistakes.attention_mistakes(x, W_q, W_k, W_v))  # fmt: skip


def large_score_inputs(device: torch.device) -> list[Tensor]:
    """Scores of magnitude ~100-1000 (past float32's exp range, ~88) that differ by only a few units within a row.

    x's first feature is 1 everywhere and W_k's first row is large, so every key shares one large component:
    each query's scores are shifted by its own large constant, which softmax ignores.
    """
    x, W_q, W_k, W_v = attention_inputs((2, 6, 5, 4), torch.device("cpu"), seed=11)
    x[:, :, 0] = 1.0
    W_q[0] = 0.0
    W_k[0] = torch.tensor([450.0, -375.0, 300.0, 525.0])
    return [t.to(device) for t in (x, W_q, W_k, W_v)]


def test_self_attention_is_stable_for_large_scores(lab: Any, device: torch.device) -> None:
    x, W_q, W_k, W_v = large_score_inputs(device)
    scores = (x @ W_q) @ (x @ W_k).transpose(-2, -1) / 2
    assert float(scores.abs().max()) > 500, "grader fixture: some scores should be far past float32's exp range (~88)"
    expected = expected_attention(x, W_q, W_k, W_v)
    got = lab.self_attention(x.clone(), W_q, W_k, W_v)
    require(isinstance(got, Tensor) and bool(torch.isfinite(got).all()),
            f"self_attention gives inf or NaN for scores of magnitude 100-1000{looks_like(mistakes.UNSTABLE)}")
    # float32 rounds scores near 1000 to about 1e-4 (outputs move by ~2e-5 here), hence a looser tolerance.
    assert_close(got, expected, name="self_attention (large scores)", atol=1e-3, rtol=1e-3,
                 mistakes=lambda: mistakes.attention_mistakes(x, W_q, W_k, W_v))  # fmt: skip


def test_self_attention_is_permutation_equivariant(lab: Any, device: torch.device) -> None:
    x, W_q, W_k, W_v = attention_inputs(ATTN_CASES[0], device, seed=12)
    perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(0)).to(device)
    got = lab.self_attention(x[:, perm], W_q, W_k, W_v)
    require(isinstance(got, Tensor), f"self_attention must return a Tensor, got {type(got).__name__}")
    assert_close(
        got, lab.self_attention(x, W_q, W_k, W_v)[:, perm],
        name="self_attention of shuffled tokens vs the shuffled self_attention (attention has no notion of order)",
        mistakes=lambda: mistakes.attention_mistakes(x[:, perm], W_q, W_k, W_v),
    )  # fmt: skip


# -------------------------------------------------------------------------------------------- influence


def linear_case(
    device: torch.device, B: int = 4, T: int = 6, Din: int = 3, H: int = 5
) -> tuple[Callable[[Tensor], Tensor], Tensor, Tensor]:
    """fn(x)[:, t] = (a_0 x_0 + ... + a_t x_t) M, an input x, and its influence by hand: |a_t| ||M 1||_2 sqrt(B).

    The last output is sum_s a_s x_s M; the gradient of its sum with respect to x[b, s, i] is a_s (M 1)_i for
    every batch row b, so the 2-norm over batch and features is |a_s| ||M 1|| sqrt(B).
    """
    x, M = seeded_many([(B, T, Din), (Din, H)], 20, device)
    a = torch.tensor([0.5, -2.0, 1.0, 3.0, -0.25, 1.5], device=device)[:T]

    def fn(inp: Tensor) -> Tensor:
        return torch.cumsum(inp * a[None, :, None], dim=1) @ M

    return fn, x, a.abs() * torch.linalg.vector_norm(M.sum(dim=1)) * math.sqrt(B)


def test_influence_of_a_weighted_running_sum(lab: Any, device: torch.device) -> None:
    fn, x, expected = linear_case(device)
    assert_close(lab.influence(fn, x), expected, name="influence(fn, x) for fn(x)[:, t] = sum_{s<=t} a_s x_s M",
                 mistakes=lambda: mistakes.influence_mistakes(fn, x))  # fmt: skip


def test_influence_counts_only_the_last_output(lab: Any, device: torch.device) -> None:
    B, T, Din = 3, 5, 4
    x, M = seeded_many([(B, T, Din), (Din, 2)], 21, device)

    def reverse(inp: Tensor) -> Tensor:  # output t reads input T-1-t: the last output sees only x_0
        return inp.flip(1) @ M

    expected = torch.zeros(T, device=device)
    expected[0] = torch.linalg.vector_norm(M.sum(dim=1)) * math.sqrt(B)
    assert_close(lab.influence(reverse, x), expected, name="influence(fn, x) for fn(x)[:, t] = x[:, T-1-t] M",
                 mistakes=lambda: mistakes.influence_mistakes(reverse, x))  # fmt: skip


def test_influence_matches_autograd_on_nn_rnn(lab: Any, device: torch.device) -> None:
    B, T, Din, H = 2, 7, 3, 5
    x = seeded((B, T, Din), 22, device)
    with reference():
        rnn = nn.RNN(Din, H, batch_first=True)
    with torch.no_grad():  # seeded weights, drawn on the CPU like every input
        for param, value in zip(rnn.parameters(), seeded_many([p.shape for p in rnn.parameters()], 23), strict=True):
            param.copy_(value * 0.5)
    rnn = rnn.to(device)

    def fn(inp: Tensor) -> Tensor:
        return rnn(inp)[0]

    assert_close(lab.influence(fn, x), influence_by_autograd(fn, x), name="influence(nn.RNN, x)", atol=1e-6, rtol=1e-4,
                 mistakes=lambda: mistakes.influence_mistakes(fn, x))  # fmt: skip


def test_influence_gives_the_same_answer_twice(lab: Any, device: torch.device) -> None:
    fn, x, expected = linear_case(device, B=2, T=4)
    known = {mistakes.ACCUMULATED: 2 * expected}
    for call in ("first", "second"):
        assert_close(lab.influence(fn, x), expected, name=f"influence(fn, x), {call} call on the same x",
                     mistakes=lambda: {**known, **mistakes.influence_mistakes(fn, x)})  # fmt: skip


# ---------------------------------------------------------------------------------- the card, in numbers


def test_rnn_influence_matches_backprop_through_time(lab: Any, device: torch.device) -> None:
    # A contractive W_hh: the first inputs' influence on the last state fades by orders of magnitude, so the
    # values are compared relatively (an absolute 1e-5 would accept a zero gradient).
    inputs = rnn_inputs((2, 16, 3, 6), device, seed=30, w_hh=0.2)
    x, h0, W_xh, W_hh, b_h = inputs.values()
    rnn = torch_rnn(W_xh, W_hh, b_h)
    expected = influence_by_autograd(lambda inp: rnn(inp, h0.double().unsqueeze(0))[0], x.double()).float()
    assert float(expected[0] / expected[-1]) < 1e-4, "grader fixture: the first input's influence should fade"
    got = lab.influence(lambda inp: lab.rnn_forward(inp, h0, W_xh, W_hh, b_h)[0], x)
    assert_close(got, expected, name="influence of each input on the RNN's last output", atol=0.0, rtol=1e-3,
                 mistakes=lambda: mistakes.detached_influence(expected))  # fmt: skip


def test_attention_influence_matches_autograd(lab: Any, device: torch.device) -> None:
    x, W_q, W_k, W_v = attention_inputs((2, 16, 6, 4), device, seed=31)
    expected = influence_by_autograd(lambda inp: expected_attention(inp, W_q, W_k, W_v), x.double()).float()
    got = lab.influence(lambda inp: lab.self_attention(inp, W_q, W_k, W_v), x)
    assert_close(got, expected, name="influence of each input on self-attention's last output", atol=1e-6, rtol=1e-4)
