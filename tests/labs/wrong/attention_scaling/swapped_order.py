"""Wrong: the two variances are returned as (scaled, raw) instead of (raw, scaled).

Message: the two variances returned in the wrong order
"""

from __future__ import annotations

import math

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of q.k / sqrt(d_k) and q.k (in that order)."""
    q = torch.randn(n, d_k, generator=generator)
    k = torch.randn(n, d_k, generator=generator)
    dots = (q * k).sum(dim=-1)
    return float((dots / math.sqrt(d_k)).var()), float(dots.var())
