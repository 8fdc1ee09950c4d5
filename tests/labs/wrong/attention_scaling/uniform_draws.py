"""Wrong: q and k are drawn with torch.rand (uniform on [0, 1)) instead of torch.randn.

Message: torch.rand (uniform on [0, 1)) instead of torch.randn
"""

from __future__ import annotations

import math

import torch

from labs.attention_scaling.solution import softmax_entropy, softmax_jacobian  # the correct parts


def dot_product_stats(d_k: int, n: int, generator: torch.Generator) -> tuple[float, float]:
    """Sample variances of n dot products of uniform vectors."""
    q = torch.rand(n, d_k, generator=generator)
    k = torch.rand(n, d_k, generator=generator)
    dots = (q * k).sum(dim=-1)
    return float(dots.var()), float((dots / math.sqrt(d_k)).var())
