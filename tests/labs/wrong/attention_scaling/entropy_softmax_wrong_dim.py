"""Wrong: the softmax is taken over dim 0 (the first dim) instead of the last.

Message: the softmax taken over the first dim instead of the last
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_jacobian  # the correct parts


def softmax_entropy(scores: Tensor) -> Tensor:
    """Entropy with the softmax over dim 0."""
    log_p = torch.log_softmax(scores, dim=0)
    return -(log_p.exp() * log_p).sum(dim=-1)
