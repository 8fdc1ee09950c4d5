"""Wrong: the entropy is measured in bits (log base 2) instead of nats.

Message: log base 2 (bits) instead of the natural log
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_jacobian  # the correct parts


def softmax_entropy(scores: Tensor) -> Tensor:
    """Entropy in bits of softmax(scores) over the last dim."""
    log_p = torch.log_softmax(scores, dim=-1)
    return -(log_p.exp() * log_p / torch.log(torch.tensor(2.0))).sum(dim=-1)
