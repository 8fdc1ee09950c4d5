"""Wrong: one query q is drawn and dotted with n keys, so the n pairs are not independent.

Message: one q (or one k) shared by all n pairs
"""

from __future__ import annotations

import math

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of q.k_i for one q and n keys."""
    q = torch.randn(d_k, generator=generator)
    k = torch.randn(n, d_k, generator=generator)
    dots = k @ q
    return float(dots.var()), float((dots / math.sqrt(d_k)).var())
