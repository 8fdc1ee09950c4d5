"""Wrong: the softmax exponentiates the raw scores without subtracting the maximum, so exp overflows.

Message: exp(s) overflowed to inf for large scores
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_jacobian  # the correct parts


def softmax_entropy(scores: Tensor) -> Tensor:
    """Entropy via log p = s - log(sum exp(s)), without the max shift."""
    log_z = torch.log(torch.exp(scores).sum(dim=-1, keepdim=True))
    log_p = scores - log_z
    return -(log_p.exp() * log_p).sum(dim=-1)
