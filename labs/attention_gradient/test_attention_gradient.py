"""Autograder for lab 8: attention forward, softmax backward and the attention backward pass, against autograd."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from labs.attention_gradient import mistakes
from labs.grading import assert_close, reference, seeded, seeded_many

T, D, d = 7, 6, 4  # all different, so a transposed result has the wrong shape
F64 = torch.float64
GRAD_TOL = {"atol": 1e-8, "rtol": 1e-8}
GRADS = ("X", "W_q", "W_k", "W_v")


def _inputs(device: torch.device, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """X (T, D), W_q, W_k, W_v (D, d) and an upstream gradient dout (T, d), float64, no requires_grad."""
    X, W_q, W_k, W_v, dout = seeded_many([(T, D), (D, d), (D, d), (D, d), (T, d)], seed, device, F64)
    return X, W_q, W_k, W_v, dout


def _large_score_inputs(device: torch.device) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Inputs whose scores sit hundreds to ~1000 away from 0 (some past 750), yet spread by 5-40 per row.

    X's first column is all ones and W_k's first row is large, so every key shares one large component:
    each row of S is shifted by a large per-query constant. exp() of such scores overflows (or every
    weight underflows to 0) in float64 unless the row maximum is subtracted first.
    """
    X, W_q, W_k, W_v, dout = _inputs(torch.device("cpu"), seed=7)
    X[:, 0] = 1.0
    W_k[0] = torch.tensor([450.0, -375.0, 300.0, 525.0], dtype=F64)
    W_q[0] = 0.0
    return tuple(t.to(device) for t in (X, W_q, W_k, W_v, dout))  # type: ignore[return-value]


def _attention(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> Tensor:
    """softmax(Q K^T / sqrt(d)) V, by the formula (torch.softmax is stable)."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    return torch.softmax(Q @ K.T / math.sqrt(Q.shape[-1]), dim=-1) @ V


def _autograd(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, dout: Tensor) -> dict[str, Tensor]:
    """The expected gradients: autograd's vector-Jacobian product of the formula with dout."""
    with reference():
        leaves = [t.detach().clone().requires_grad_() for t in (X, W_q, W_k, W_v)]
        grads = torch.autograd.grad(_attention(*leaves), leaves, dout)
    return dict(zip(GRADS, grads, strict=True))


def _learner_grads(lab: Any, X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, dout: Tensor) -> dict[str, Any]:
    _, cache = lab.attention_forward(X, W_q, W_k, W_v)
    grads = lab.attention_backward(dout, cache)
    assert isinstance(grads, dict), f"attention_backward must return a dict, got {type(grads).__name__}"
    missing = [k for k in GRADS if k not in grads]
    assert not missing, f"attention_backward's dict lacks {missing} (keys must be {list(GRADS)})"
    return grads


# ----- forward -----


def test_forward_matches_softmax_formula(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, _ = _inputs(device)
    out, cache = lab.attention_forward(X, W_q, W_k, W_v)
    assert isinstance(cache, dict), f"attention_forward must return (out, cache) with a dict cache, got {type(cache)}"
    assert_close(
        out, _attention(X, W_q, W_k, W_v), name="attention_forward output", atol=1e-12, rtol=1e-10,
        mistakes=lambda: mistakes.forward_mistakes(X, W_q, W_k, W_v),
    )  # fmt: skip


def test_forward_matches_scaled_dot_product_attention(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, _ = _inputs(device, seed=1)
    out, _ = lab.attention_forward(X, W_q, W_k, W_v)
    with reference():
        q, k, v = ((X @ W).unsqueeze(0) for W in (W_q, W_k, W_v))
        expected = F.scaled_dot_product_attention(q, k, v).squeeze(0)
    assert_close(
        out, expected, name="attention_forward vs F.scaled_dot_product_attention", atol=1e-12, rtol=1e-10,
        mistakes=lambda: mistakes.forward_mistakes(X, W_q, W_k, W_v),
    )  # fmt: skip


def test_forward_is_stable_for_large_scores(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, _ = _large_score_inputs(device)
    S = (X @ W_q) @ (X @ W_k).T / math.sqrt(d)
    assert float(S.abs().max()) > 750, "grader fixture: the scores should exceed float64's exp range"
    out, _ = lab.attention_forward(X, W_q, W_k, W_v)
    assert isinstance(out, torch.Tensor) and bool(torch.isfinite(out).all()), (
        "attention_forward gives inf or NaN for scores of magnitude ~1000: subtract each row's maximum "
        "before exp (softmax(s) = softmax(s - max(s)))"
    )
    assert_close(out, _attention(X, W_q, W_k, W_v), name="attention_forward output (large scores)",
                 atol=1e-10, rtol=1e-10)  # fmt: skip


# ----- softmax backward -----


def _softmax_case(device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    """P = softmax(S) of random scores, a random dP, and autograd's dS (the vector-Jacobian product)."""
    S, dP = seeded_many([(T, T), (T, T)], 3, device, F64)
    S = S * 2
    with reference():
        leaf = S.clone().requires_grad_()
        P = torch.softmax(leaf, dim=-1)
        (dS,) = torch.autograd.grad(P, leaf, dP)
    return P.detach(), dP, dS


def test_softmax_backward_matches_autograd(lab: Any, device: torch.device) -> None:
    P, dP, expected = _softmax_case(device)
    got = lab.softmax_backward(P, dP)
    assert_close(got, expected, name="softmax_backward(P, dP)", **GRAD_TOL,
                 mistakes=lambda: mistakes.softmax_backward_mistakes(P, dP))  # fmt: skip


def test_softmax_backward_rows_sum_to_zero(lab: Any, device: torch.device) -> None:
    P, dP, _ = _softmax_case(device)
    got = lab.softmax_backward(P, dP)
    assert isinstance(got, torch.Tensor), f"softmax_backward must return a Tensor, got {type(got).__name__}"
    sums = got.sum(dim=-1)
    assert_close(
        sums, torch.zeros_like(sums), name="row sums of dS", **GRAD_TOL,
        mistakes=lambda: mistakes.row_sum_mistakes(P, dP),
    )  # fmt: skip


# ----- attention backward -----


def _check_gradient(lab: Any, device: torch.device, name: str, seed: int) -> None:
    X, W_q, W_k, W_v, dout = _inputs(device, seed)
    got = _learner_grads(lab, X, W_q, W_k, W_v, dout)[name]
    assert_close(
        got, _autograd(X, W_q, W_k, W_v, dout)[name], name=f"gradient with respect to {name}", **GRAD_TOL,
        mistakes=lambda: mistakes.backward_mistakes(name, X, W_q, W_k, W_v, dout),
    )  # fmt: skip


def test_gradient_of_X_matches_autograd(lab: Any, device: torch.device) -> None:
    _check_gradient(lab, device, "X", seed=10)


def test_gradient_of_W_q_matches_autograd(lab: Any, device: torch.device) -> None:
    _check_gradient(lab, device, "W_q", seed=11)


def test_gradient_of_W_k_matches_autograd(lab: Any, device: torch.device) -> None:
    _check_gradient(lab, device, "W_k", seed=12)


def test_gradient_of_W_v_matches_autograd(lab: Any, device: torch.device) -> None:
    _check_gradient(lab, device, "W_v", seed=13)


def test_gradients_have_the_shapes_of_the_inputs(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, dout = _inputs(device, seed=14)
    out, _ = lab.attention_forward(X, W_q, W_k, W_v)
    assert isinstance(out, torch.Tensor) and out.shape == (T, d), (
        f"attention_forward output: expected shape [{T}, {d}] (T, d), got {getattr(out, 'shape', out)}"
    )
    grads = _learner_grads(lab, X, W_q, W_k, W_v, dout)
    for name, given in zip(GRADS, (X, W_q, W_k, W_v), strict=True):
        got = grads[name]
        assert isinstance(got, torch.Tensor), f"gradient {name!r}: expected a Tensor, got {type(got).__name__}"
        assert got.shape == given.shape, (
            f"gradient {name!r}: expected shape {list(given.shape)} (the shape of {name}), got {list(got.shape)}"
        )
        assert got.dtype == given.dtype and got.device.type == given.device.type, (
            f"gradient {name!r}: expected {given.dtype} on {given.device.type}, got {got.dtype} on {got.device.type}"
        )


def test_gradient_of_X_sums_the_query_key_and_value_paths(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, dout = _inputs(device, seed=15)
    with reference():  # three separate copies of X: one for each projection
        xq, xk, xv = (X.clone().requires_grad_() for _ in range(3))
        Q, K, V = xq @ W_q, xk @ W_k, xv @ W_v
        out = torch.softmax(Q @ K.T / math.sqrt(d), dim=-1) @ V
        paths = dict(zip("qkv", torch.autograd.grad(out, (xq, xk, xv), dout), strict=True))
    for path in paths.values():
        assert float(path.abs().max()) > 1e-2, "grader fixture: every path should carry gradient"
    got = _learner_grads(lab, X, W_q, W_k, W_v, dout)["X"]
    assert_close(
        got, paths["q"] + paths["k"] + paths["v"], name="gradient with respect to X", **GRAD_TOL,
        mistakes=lambda: {**mistakes.path_mistakes(paths), **mistakes.backward_mistakes("X", X, W_q, W_k, W_v, dout)},
    )  # fmt: skip


def test_gradients_are_plain_tensors_without_grad_fn(lab: Any, device: torch.device) -> None:
    X, W_q, W_k, W_v, dout = _inputs(device, seed=16)
    W_q, W_k, W_v = (W.requires_grad_() for W in (W_q, W_k, W_v))  # weights are trainable, as in a model
    grads = _learner_grads(lab, X, W_q, W_k, W_v, dout)
    for name in GRADS:
        got = grads[name]
        assert isinstance(got, torch.Tensor), f"gradient {name!r}: expected a Tensor, got {type(got).__name__}"
        assert got.grad_fn is None and not got.requires_grad, (
            f"gradient {name!r} is attached to an autograd graph (grad_fn={got.grad_fn}): a manual backward "
            "returns plain tensors; run it under torch.no_grad() or detach what the cache holds"
        )
    assert_close(
        grads["W_q"].detach(), _autograd(X, W_q, W_k, W_v, dout)["W_q"], name="gradient with respect to W_q",
        **GRAD_TOL,
        mistakes=lambda: mistakes.backward_mistakes("W_q", X, W_q.detach(), W_k.detach(), W_v.detach(), dout),
    )  # fmt: skip


@pytest.mark.parametrize("name", GRADS)
def test_gradients_match_for_large_scores(lab: Any, device: torch.device, name: str) -> None:
    X, W_q, W_k, W_v, dout = _large_score_inputs(device)
    got = _learner_grads(lab, X, W_q, W_k, W_v, dout)[name]
    assert isinstance(got, torch.Tensor) and bool(torch.isfinite(got).all()), (
        f"gradient {name!r} has inf or NaN for scores of magnitude ~1000: use a stable softmax in the forward"
    )
    assert_close(
        got, _autograd(X, W_q, W_k, W_v, dout)[name], name=f"gradient with respect to {name} (large scores)",
        **GRAD_TOL, mistakes=lambda: mistakes.backward_mistakes(name, X, W_q, W_k, W_v, dout),
    )  # fmt: skip
