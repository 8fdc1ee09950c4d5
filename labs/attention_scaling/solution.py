"""Model answer for lab 10: why attention scores are divided by sqrt(d_k), measured."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of n dot products q.k and q.k / sqrt(d_k), q and k ~ N(0, I)."""
    q = torch.randn(n, d_k, generator=generator, dtype=torch.float64)
    k = torch.randn(n, d_k, generator=generator, dtype=torch.float64)
    dots = (q * k).sum(dim=-1)  # one dot product per pair: [n]
    scaled = dots / math.sqrt(d_k)
    return float(dots.var()), float(scaled.var())


def softmax_entropy(scores: Tensor) -> Tensor:
    """Entropy (nats) of softmax(scores) over the last dim: [..., N] -> [...]."""
    log_p = torch.log_softmax(scores, dim=-1)  # stable: finite even where p underflows to 0
    return -(log_p.exp() * log_p).sum(dim=-1)


def softmax_jacobian(scores: Tensor) -> Tensor:
    """diag(p) - p p^T for p = softmax(scores), scores [N] -> [N, N]."""
    p = torch.softmax(scores, dim=-1)
    return torch.diag(p) - torch.outer(p, p)
