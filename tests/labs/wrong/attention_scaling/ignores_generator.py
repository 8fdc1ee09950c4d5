"""Wrong: the draws come from the global random state, not from the generator passed in.

Message: draws that do not come from `generator`
"""

from __future__ import annotations

import math

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of n dot products, drawn without the generator."""
    q = torch.randn(n, d_k)
    k = torch.randn(n, d_k)
    dots = (q * k).sum(dim=-1)
    return float(dots.var()), float((dots / math.sqrt(d_k)).var())
