"""Wrong: p p^T is written p @ p, which for a 1-D p is the scalar dot product, not the outer product.

Message: p p^T computed as p @ p, a scalar
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_entropy  # the correct parts


def softmax_jacobian(scores: Tensor) -> Tensor:
    """diag(p) - p @ p."""
    p = torch.softmax(scores, dim=-1)
    return torch.diag(p) - p @ p
