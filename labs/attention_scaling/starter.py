"""Lab 10 starter: why attention divides q.k by sqrt(d_k), in dot-product variances, entropies and Jacobians."""

from __future__ import annotations

import torch
from torch import Tensor


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of n dot products q.k and q.k / sqrt(d_k), q and k ~ N(0, I).

    Draw n independent pairs (q, k), each vector with d_k standard-normal entries, from `generator`
    (torch.randn(..., generator=generator)). Compute the n dot products once; return
    (variance of q.k, variance of q.k / sqrt(d_k)) as two floats (or 0-d tensors).
    """
    raise NotImplementedError


def softmax_entropy(scores: Tensor) -> Tensor:
    """Entropy (nats) of softmax(scores) over the last dim: [..., N] -> [...].

    H = -sum_i p_i ln p_i with p = softmax(scores). It must stay finite and exact for scores in the
    thousands and where some p_i underflow to 0 (take 0 ln 0 = 0). Do not modify `scores`.
    """
    raise NotImplementedError


def softmax_jacobian(scores: Tensor) -> Tensor:
    """diag(p) - p p^T for p = softmax(scores), scores [N] -> [N, N].

    Entry [i, j] is d p_i / d s_j. Stable for large scores; do not modify `scores`; no autograd.
    """
    raise NotImplementedError
