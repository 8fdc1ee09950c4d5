"""Autograder for lab 10: the variance of dot products, the entropy of a softmax and its Jacobian.

Oracles: the variance of q.k by its distribution (a tolerance from the sample size), the entropy by its
definition and by torch.distributions.Categorical, the Jacobian by autograd and by closed forms.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.autograd.functional import jacobian
from torch.distributions import Categorical
from torch.special import entr

from labs.attention_scaling import mistakes
from labs.grading import assert_close, generator, looks_like, reference, seeded

N_PAIRS = 20_000  # pairs per variance estimate: 6 standard errors are 6-12% of the true variance
Z = 6.0  # tolerance in standard errors: a correct answer fails with probability ~1e-9
EPS32 = 2.0**-23  # float32 rounding, relative


def require(ok: bool, message: str) -> None:
    """Fail with `message` (and nothing else) unless `ok`."""
    if not ok:
        raise AssertionError(message)


# ------------------------------------------------------------------------------------- dot products


def sample_variance_se(d_k: int, n: int) -> float:
    """Standard error of the sample variance of n dot products q.k, q, k ~ N(0, I_{d_k}).

    q.k is a sum of d_k independent terms q_i k_i (mean 0, variance 1, fourth moment 9), so
    E[(q.k)^4] = 9 d_k + 3 d_k (d_k - 1) and Var((q.k)^2) = 3 d_k^2 + 6 d_k - d_k^2.
    """
    return math.sqrt((2 * d_k**2 + 6 * d_k) / n)


def _number(value: Any, which: str) -> float:
    """`float(value)`, or a failure saying the contract wants a float or a 0-d tensor."""
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        shape = list(value.shape) if isinstance(value, Tensor) else type(value).__name__
        raise AssertionError(
            f"dot_product_stats: the {which} value is {shape}, not a number: return a float or a 0-d tensor"
        ) from None


def stats(lab: Any, d_k: int, seed: int, n: int = N_PAIRS) -> tuple[float, float]:
    """(Var(q.k), Var(q.k / sqrt(d_k))) as the learner computes them, as Python floats."""
    result = lab.dot_product_stats(d_k, n, generator(seed))
    try:
        raw, scaled = result
    except (TypeError, ValueError):
        raise AssertionError(
            f"dot_product_stats returned {type(result).__name__} {result!r}: return two numbers, "
            "(Var(q.k), Var(q.k / sqrt(d_k)))"
        ) from None
    return _number(raw, "first"), _number(scaled, "second")


def swapped_hint(raw: float, scaled: float, d_k: int, n: int) -> str:
    """`looks_like` the swapped order when (raw, scaled) looks like (1, d_k)."""
    se = sample_variance_se(d_k, n)
    if d_k > 1 and abs(raw - 1.0) <= Z * se / d_k and abs(scaled - d_k) <= Z * se:
        return looks_like(mistakes.SWAPPED)
    return ""


def check_variance(got: float, expected: float, tol: float, name: str, hint: str) -> None:
    """Fail unless `got` is within `tol` of `expected`, naming the tolerance and the matched mistake."""
    if not abs(got - expected) <= tol:
        raise AssertionError(
            f"{name} returned {got:.4g}, expected {expected:.4g} ± {tol:.2g} "
            f"({Z:g} standard errors of a sample variance over n = {N_PAIRS} pairs){hint}"
        )


@pytest.mark.parametrize("d_k", [1, 16, 64])
def test_dot_products_have_variance_d_k(lab: Any, d_k: int) -> None:
    raw, scaled = stats(lab, d_k, seed=d_k)
    hint = swapped_hint(raw, scaled, d_k, N_PAIRS)
    hint = hint or mistakes.statistic_hint(raw, mistakes.raw_variance_mistakes(d_k, N_PAIRS))
    check_variance(raw, float(d_k), Z * sample_variance_se(d_k, N_PAIRS),
                   f"Var(q.k) (the first value) for d_k = {d_k}", hint)  # fmt: skip


@pytest.mark.parametrize("d_k", [1, 16, 64])
def test_scaled_dot_products_have_variance_one(lab: Any, d_k: int) -> None:
    raw, scaled = stats(lab, d_k, seed=100 + d_k)
    hint = swapped_hint(raw, scaled, d_k, N_PAIRS)
    hint = hint or mistakes.statistic_hint(scaled, mistakes.scaled_variance_mistakes(d_k))
    check_variance(scaled, 1.0, Z * sample_variance_se(d_k, N_PAIRS) / d_k,
                   f"Var(q.k / sqrt(d_k)) (the second value) for d_k = {d_k}", hint)  # fmt: skip


@pytest.mark.parametrize("d_k", [2, 64])
def test_both_variances_come_from_the_same_pairs(lab: Any, d_k: int) -> None:
    raw, scaled = stats(lab, d_k, seed=200 + d_k)
    ratio = raw / scaled if scaled else math.inf
    if abs(ratio - d_k) <= 1e-4 * d_k:
        return
    hint = swapped_hint(raw, scaled, d_k, N_PAIRS) or next(
        (looks_like(d) for d, r in mistakes.ratio_mistakes(d_k).items() if abs(ratio - r) <= 1e-3 * r), ""
    )
    if not hint and abs(ratio - d_k) <= mistakes.MATCH_REL * d_k:
        hint = looks_like(mistakes.SEPARATE_DRAWS)
    raise AssertionError(
        f"dot_product_stats(d_k={d_k}): Var(q.k) / Var(q.k / sqrt(d_k)) = {ratio:.6g}, expected exactly "
        f"{d_k}: dividing n numbers by sqrt(d_k) divides their variance by d_k{hint}"
    )


def test_the_same_seed_gives_the_same_variances(lab: Any) -> None:
    first = stats(lab, 8, seed=5, n=2000)
    second = stats(lab, 8, seed=5, n=2000)
    require(
        all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(first, second, strict=True)),
        f"dot_product_stats(8, 2000, generator(5)) returned {first}, then {second} for the same seed"
        + looks_like(mistakes.IGNORES_GENERATOR),
    )


def test_different_seeds_give_different_variances(lab: Any) -> None:
    first = stats(lab, 8, seed=6, n=2000)
    second = stats(lab, 8, seed=7, n=2000)
    require(
        first[0] != second[0],
        f"dot_product_stats(8, 2000, ...) returned {first} for seeds 6 and 7 alike"
        + looks_like(mistakes.IGNORES_GENERATOR),
    )


def test_estimates_average_n_independent_pairs(lab: Any) -> None:
    d_k, n, seeds = 16, 5000, range(300, 308)
    estimates = [stats(lab, d_k, seed, n)[0] for seed in seeds]
    spread, se = statistics.stdev(estimates), sample_variance_se(d_k, n)
    require(
        spread <= 3 * se,
        f"Var(q.k) for d_k = {d_k} over {len(seeds)} seeds: {[round(e, 2) for e in estimates]}, a spread "
        f"(std) of {spread:.3g}; n = {n} independent pairs give about {se:.3g}"
        + looks_like(mistakes.SHARED_Q),
    )


# ------------------------------------------------------------------------------------------- entropy


def entropy_by_definition(scores: Tensor) -> Tensor:
    """-sum p ln p over the last dim, p = softmax(scores), in float64 with 0 ln 0 = 0, cast to float32."""
    return entr(torch.softmax(scores.double(), dim=-1)).sum(dim=-1).to(scores.dtype)


def float32_atol(scores: Tensor) -> float:
    """What float32 rounding allows for scores of this magnitude (logsumexp(s) - sum p s cancels)."""
    return 1e-5 + 8 * EPS32 * float(scores.abs().max())


@pytest.mark.parametrize("shape", [(7,), (4, 9), (2, 3, 5, 7), (6, 1)], ids=str)
def test_entropy_matches_definition(lab: Any, device: torch.device, shape: tuple[int, ...]) -> None:
    scores = seeded(shape, len(shape), device, scale=2.0)
    got = lab.softmax_entropy(scores)
    assert_close(got, entropy_by_definition(scores), name=f"softmax_entropy(scores {list(shape)})",
                 mistakes=lambda: mistakes.entropy_mistakes(scores))  # fmt: skip


def test_entropy_matches_categorical_entropy(lab: Any, device: torch.device) -> None:
    scores = seeded((3, 4, 11), 10, device, scale=3.0)
    got = lab.softmax_entropy(scores)
    with reference():
        expected = Categorical(logits=scores.double()).entropy().float()
    assert_close(got, expected, name="softmax_entropy vs torch.distributions.Categorical(logits=scores).entropy()",
                 mistakes=lambda: mistakes.entropy_mistakes(scores))  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 10, 50])
def test_entropy_of_equal_scores_is_log_n(lab: Any, device: torch.device, n: int) -> None:
    scores = torch.full((3, n), 2.5, device=device)
    got = lab.softmax_entropy(scores)
    assert_close(got, torch.full((3,), math.log(n), device=device),
                 name=f"softmax_entropy of {n} equal scores (a uniform softmax: entropy ln {n})",
                 mistakes=lambda: mistakes.entropy_mistakes(scores))  # fmt: skip


def _offset(device: torch.device) -> Tensor:
    return seeded((4, 12), 20, device, scale=3.0) + 1000.0


def _partly_underflowing(device: torch.device) -> Tensor:
    scores = seeded((4, 12), 21, device, scale=2.0)
    scores[:, ::3] -= 150.0  # exp(-150) is 0 in float32: a third of each row gets p = 0
    return scores


def saturate(scores: Tensor) -> Tensor:
    """All but the first score of each row lowered by 120: p is one-hot up to rounding (a saturated softmax)."""
    scores[..., 1:] -= 120.0
    return scores


def _nearly_one_hot(device: torch.device) -> Tensor:
    return saturate(seeded((4, 12), 22, device, scale=2.0))


LARGE_ENTROPY = {
    "offset_1000": (_offset, mistakes.OVERFLOW),
    "partly_underflowing": (_partly_underflowing, mistakes.ZERO_LOG_ZERO),
    "nearly_one_hot": (_nearly_one_hot, mistakes.ZERO_LOG_ZERO),
}


@pytest.mark.parametrize("case", LARGE_ENTROPY)
def test_entropy_is_exact_for_extreme_scores(lab: Any, device: torch.device, case: str) -> None:
    build, advice = LARGE_ENTROPY[case]
    scores = build(device)
    got = lab.softmax_entropy(scores)
    require(isinstance(got, Tensor), f"softmax_entropy returned {type(got).__name__}, not a Tensor")
    require(
        bool(torch.isfinite(got).all()),
        f"softmax_entropy ({case.replace('_', ' ')} scores, |s| up to {float(scores.abs().max()):.0f}) "
        f"gave {got.tolist()}, not finite numbers" + looks_like(advice),
    )
    assert_close(got, entropy_by_definition(scores), name=f"softmax_entropy ({case.replace('_', ' ')} scores)",
                 atol=float32_atol(scores), mistakes=lambda: mistakes.entropy_mistakes(scores))  # fmt: skip


def test_entropy_leaves_scores_unchanged(lab: Any, device: torch.device) -> None:
    scores = seeded((3, 8), 30, device, scale=2.0)
    before = scores.clone()
    lab.softmax_entropy(scores)
    require(torch.equal(scores, before), "softmax_entropy changed its input" + looks_like(mistakes.IN_PLACE))


# ------------------------------------------------------------------------------------------ Jacobian


def jacobian_by_autograd(scores: Tensor) -> Tensor:
    """d softmax(s)_i / d s_j by autograd, in float64, cast to the scores' dtype."""
    with reference():
        return jacobian(lambda s: torch.softmax(s, dim=-1), scores.double()).to(scores.dtype)


def require_square(got: Any, n: int) -> None:
    """Fail unless `got` is an [n, n] tensor."""
    shape = list(got.shape) if isinstance(got, Tensor) else type(got).__name__
    require(shape == [n, n], f"softmax_jacobian(scores [{n}]) returned {shape}, expected a Tensor [{n}, {n}]")


@pytest.mark.parametrize("n", [1, 2, 7, 33])
def test_jacobian_matches_autograd(lab: Any, device: torch.device, n: int) -> None:
    scores = seeded((n,), 40 + n, device, scale=2.0)
    got = lab.softmax_jacobian(scores)
    assert_close(got, jacobian_by_autograd(scores), name=f"softmax_jacobian(scores [{n}])",
                 mistakes=lambda: mistakes.jacobian_mistakes(scores))  # fmt: skip


@pytest.mark.parametrize("n", [1, 4, 10])
def test_jacobian_of_equal_scores(lab: Any, device: torch.device, n: int) -> None:
    scores = torch.full((n,), -1.5, device=device)
    got = lab.softmax_jacobian(scores)
    expected = torch.eye(n, device=device) / n - 1.0 / n**2
    assert_close(got, expected, name=f"softmax_jacobian of {n} equal scores (I / {n} - 1 / {n}^2)",
                 mistakes=lambda: mistakes.jacobian_mistakes(scores))  # fmt: skip


def test_jacobian_rows_sum_to_zero(lab: Any, device: torch.device) -> None:
    scores = seeded((9,), 50, device, scale=2.0)
    got = lab.softmax_jacobian(scores)
    require_square(got, 9)
    sums = got.sum(dim=-1)
    row_sums = {d: j.sum(dim=-1) for d, j in mistakes.jacobian_mistakes(scores).items()}
    assert_close(sums, torch.zeros_like(sums),
                 name="row sums of softmax_jacobian (the p_i sum to 1, so moving any score keeps the sum)",
                 mistakes=row_sums)  # fmt: skip


def test_jacobian_is_symmetric(lab: Any, device: torch.device) -> None:
    scores = seeded((9,), 51, device, scale=2.0)
    got = lab.softmax_jacobian(scores)
    require_square(got, 9)
    assert_close(got, got.T, name="softmax_jacobian against its transpose (dp_i/ds_j = p_i (δ_ij - p_j), symmetric)",
                 mistakes={d: j.T for d, j in mistakes.jacobian_mistakes(scores).items()})  # fmt: skip


LARGE_JACOBIAN = {
    "offset_1000": lambda device: seeded((10,), 60, device, scale=3.0) + 1000.0,
    "nearly_one_hot": lambda device: saturate(seeded((10,), 61, device, scale=2.0)),
}


@pytest.mark.parametrize("case", LARGE_JACOBIAN)
def test_jacobian_is_exact_for_extreme_scores(lab: Any, device: torch.device, case: str) -> None:
    scores = LARGE_JACOBIAN[case](device)
    got = lab.softmax_jacobian(scores)
    require(isinstance(got, Tensor), f"softmax_jacobian returned {type(got).__name__}, not a Tensor")
    require(
        bool(torch.isfinite(got).all()),
        f"softmax_jacobian ({case.replace('_', ' ')} scores, |s| up to {float(scores.abs().max()):.0f}) "
        "is not finite" + looks_like(mistakes.OVERFLOW),
    )
    assert_close(got, jacobian_by_autograd(scores), name=f"softmax_jacobian ({case.replace('_', ' ')} scores)",
                 mistakes=lambda: mistakes.jacobian_mistakes(scores))  # fmt: skip


def test_jacobian_leaves_scores_unchanged(lab: Any, device: torch.device) -> None:
    scores = seeded((8,), 70, device, scale=2.0)
    before = scores.clone()
    lab.softmax_jacobian(scores)
    require(torch.equal(scores, before), "softmax_jacobian changed its input" + looks_like(mistakes.IN_PLACE))
