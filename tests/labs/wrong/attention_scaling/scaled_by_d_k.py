"""Wrong: the scaled dot products are divided by d_k instead of sqrt(d_k).

Message: divided by d_k instead of sqrt(d_k)
"""

from __future__ import annotations

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of n dot products q.k and q.k / d_k."""
    q = torch.randn(n, d_k, generator=generator)
    k = torch.randn(n, d_k, generator=generator)
    dots = (q * k).sum(dim=-1)
    return float(dots.var()), float((dots / d_k).var())
