"""Known wrong answers of lab 10, computed from the inputs so that failure messages can name the mistake.

The variances of `dot_product_stats` are random: a known mistake is recognised when the learner's estimate
lies within `MATCH_REL` (relative) of the value that mistake produces on average.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.special import entr

from labs.grading import looks_like

MATCH_REL = 0.3

# ----- dot_product_stats
STD = "the standard deviation (sqrt(d_k)) instead of the variance (d_k)"
NOT_SUMMED = "the d_k products q_i k_i not summed into one dot product per pair (each has variance 1)"
MEAN_NOT_SUM = "the mean over the d_k products, (q * k).mean(-1), instead of their sum (the dot product)"
Q_DOT_Q = "q used as its own key (q.q is a sum of squares: variance 2 d_k), where k is drawn separately"
UNIFORM = "torch.rand (uniform on [0, 1)) instead of torch.randn (the standard normal N(0, 1))"
WRONG_AXIS = "the products summed over the n pairs instead of over the d_k dimensions"
SWAPPED = "the two variances returned in the wrong order (first Var(q.k), then Var(q.k / sqrt(d_k)))"
NO_SCALE = "the scaled dot products not divided by sqrt(d_k)"
SCALE_D = "the dot products divided by d_k instead of sqrt(d_k) (the variance falls as 1 / d_k)"
SCALE_TIMES = "the dot products multiplied by sqrt(d_k) instead of divided"
SEPARATE_DRAWS = (
    "separate draws for the raw and the scaled dot products: both variances must come from the same n pairs, "
    "so their ratio is exactly d_k"
)
SHARED_Q = (
    "one q (or one k) shared by all n pairs: the estimate then swings from seed to seed like |q|^2 does, "
    "instead of averaging n independent pairs"
)
IGNORES_GENERATOR = (
    "draws that do not come from `generator` (pass generator=generator to torch.randn, and do not reseed)"
)

# ----- softmax_entropy
LOG2 = "log base 2 (bits) instead of the natural log (nats)"
LOG10 = "log base 10 instead of the natural log (nats)"
NO_MINUS = "the minus sign left out: the entropy is -sum p log p, never negative"
NORMALISED = "the entropy divided by log N (a normalised entropy): the contract asks for nats"
MEAN_NOT_SUM_H = "the mean of -p log p over the last dim instead of its sum"
NO_LSE = "-sum p * s without the log-sum-exp term (log p = s - logsumexp(s))"
SOFTMAX_DIM0 = "the softmax taken over the first dim instead of the last"
SUM_DIM0 = "-p log p summed over the first dim instead of the last"
KEEPDIM = "the sum kept with keepdim=True: the result is [...], without a trailing dim of size 1"
OVERFLOW = (
    "exp(s) overflowed to inf for large scores (float32 overflows past 88.7, float64 past 709): subtract each "
    "row's maximum first (softmax(s) = softmax(s - max s)) or use torch.softmax / torch.log_softmax"
)
ZERO_LOG_ZERO = (
    "p * log(p) evaluated where p underflowed to 0: 0 * log(0) = 0 * -inf = NaN. Use log p = log_softmax(s) "
    "(finite, so p * log p is 0 there) or torch.special.xlogy(p, p)"
)
IN_PLACE = "the input scores were changed in place (e.g. scores -= max or sub_): work on a new tensor"

# ----- softmax_jacobian
OUTER_AS_DOT = "p p^T computed as p @ p, a scalar (the dot product), instead of the outer product torch.outer(p, p)"
DIAG_ONLY = "diag(p) alone: the - p p^T term is missing (each row must sum to 0)"
DIAG_P1P_ONLY = "only the diagonal p_i (1 - p_i): the off-diagonal entries -p_i p_j are missing"
OUTER_ONLY = "- p p^T alone: the diag(p) term is missing"
SIGN_FLIPPED = "p p^T - diag(p): the sign is flipped (it is diag(p) - p p^T)"
ROW_BROADCAST = "diag(p) - p (p broadcast along the rows) instead of diag(p) - p p^T"
NO_SOFTMAX = "the Jacobian built from the raw scores instead of p = softmax(scores)"


def statistic_hint(got: float, mistakes: dict[str, float]) -> str:
    """`looks_like` the mistake whose average value is nearest `got` (by ratio), if within MATCH_REL; else ""."""
    if not (math.isfinite(got) and got > 0):
        return ""
    near = [(abs(math.log(got / wrong)), d) for d, wrong in mistakes.items() if abs(got - wrong) <= MATCH_REL * wrong]
    return looks_like(min(near)[1]) if near else ""


def raw_variance_mistakes(d_k: int, n: int) -> dict[str, float]:
    """What Var(q.k) comes out as, on average, under each mistake (the right answer is d_k; the tests spot a
    swapped pair of results on their own)."""
    return {
        STD: math.sqrt(d_k),
        Q_DOT_Q: 2.0 * d_k,
        UNIFORM: 7.0 * d_k / 144.0,  # Var(q_i k_i) = E[q^2] E[k^2] - E[q]^2 E[k]^2 = 1/9 - 1/16
        MEAN_NOT_SUM: 1.0 / d_k,
        WRONG_AXIS: float(n),
        NOT_SUMMED: 1.0,
    }


def scaled_variance_mistakes(d_k: int) -> dict[str, float]:
    """What Var(q.k / sqrt(d_k)) comes out as, on average, under each mistake (the right answer is 1)."""
    return {
        NO_SCALE: float(d_k),
        SCALE_D: 1.0 / d_k,
        SCALE_TIMES: float(d_k) ** 2,
        Q_DOT_Q: 2.0,
        UNIFORM: 7.0 / 144.0,
        MEAN_NOT_SUM: 1.0 / d_k**2,
    }


def ratio_mistakes(d_k: int) -> dict[str, float]:
    """Var(q.k) / Var(q.k / sqrt(d_k)) under each mistake; the ratio is exactly d_k when both use the same pairs."""
    return {SCALE_D: float(d_k) ** 2, NO_SCALE: 1.0, SCALE_TIMES: 1.0 / d_k, STD: math.sqrt(d_k)}


def _entropy(p: Tensor, dim: int = -1) -> Tensor:
    return entr(p).sum(dim=dim)


def entropy_mistakes(scores: Tensor) -> dict[str, Tensor]:
    """softmax_entropy under each known mistake, in float64 (0 log 0 taken as 0)."""
    s = scores.detach().double()
    p = torch.softmax(s, dim=-1)
    h = _entropy(p)
    n = s.shape[-1]
    table = {
        LOG2: h / math.log(2.0),
        LOG10: h / math.log(10.0),
        NO_MINUS: -h,
        MEAN_NOT_SUM_H: h / n,
        NO_LSE: -(p * s).sum(dim=-1),
        KEEPDIM: h.unsqueeze(-1),
    }
    if n > 1:
        table[NORMALISED] = h / math.log(n)
    if s.dim() >= 2:
        table[SOFTMAX_DIM0] = _entropy(torch.softmax(s, dim=0))
        table[SUM_DIM0] = entr(p).sum(dim=0)
    return table


def jacobian_mistakes(scores: Tensor) -> dict[str, Tensor]:
    """softmax_jacobian under each known mistake, in float64."""
    s = scores.detach().double()
    p = torch.softmax(s, dim=-1)
    outer = torch.outer(p, p)
    return {
        OUTER_AS_DOT: torch.diag(p) - p @ p,
        DIAG_ONLY: torch.diag(p),
        DIAG_P1P_ONLY: torch.diag(p * (1 - p)),
        OUTER_ONLY: -outer,
        SIGN_FLIPPED: outer - torch.diag(p),
        ROW_BROADCAST: torch.diag(p) - p,
        NO_SOFTMAX: torch.diag(s) - torch.outer(s, s),
    }
