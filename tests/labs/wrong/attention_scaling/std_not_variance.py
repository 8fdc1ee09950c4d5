"""Wrong: dot_product_stats returns the standard deviations (std) instead of the variances.

Message: the standard deviation (sqrt(d_k)) instead of the variance
"""

from __future__ import annotations

import math

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Spread of n dot products q.k and q.k / sqrt(d_k)."""
    q = torch.randn(n, d_k, generator=generator)
    k = torch.randn(n, d_k, generator=generator)
    dots = (q * k).sum(dim=-1)
    return float(dots.std()), float((dots / math.sqrt(d_k)).std())
