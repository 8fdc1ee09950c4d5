"""Wrong: the Jacobian is taken from autograd (torch.autograd.functional.jacobian), which the lab forbids.

Message: torch.autograd.functional.jacobian is forbidden in this lab
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_entropy  # the correct parts


def softmax_jacobian(scores: Tensor) -> Tensor:
    """The Jacobian of torch.softmax by autograd."""
    return torch.autograd.functional.jacobian(lambda s: torch.softmax(s, dim=-1), scores)
