"""Wrong: the Jacobian keeps only the diagonal derivatives p_i (1 - p_i) and drops the -p_i p_j entries.

Message: only the diagonal p_i (1 - p_i)
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_entropy  # the correct parts


def softmax_jacobian(scores: Tensor) -> Tensor:
    """diag(p (1 - p))."""
    p = torch.softmax(scores, dim=-1)
    return torch.diag(p * (1 - p))
