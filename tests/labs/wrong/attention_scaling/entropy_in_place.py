"""Wrong: the entropy subtracts the row maximum from the scores in place, changing the caller's tensor.

Message: the input scores were changed in place
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_jacobian  # the correct parts


def softmax_entropy(scores: Tensor) -> Tensor:
    """Stable entropy that shifts the scores in place."""
    scores -= scores.amax(dim=-1, keepdim=True)
    log_p = scores - torch.log(torch.exp(scores).sum(dim=-1, keepdim=True))
    return -(log_p.exp() * log_p).sum(dim=-1)
