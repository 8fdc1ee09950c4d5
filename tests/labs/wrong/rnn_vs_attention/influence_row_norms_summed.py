"""influence adds up one 2-norm per batch row instead of one norm over batch and features.

Message: one 2-norm per batch row, then added up
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from labs.rnn_vs_attention.solution import rnn_forward, self_attention  # the correct part


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(fn(x)[:, -1, :].sum(), x)
    return grad.norm(dim=-1).sum(dim=0)
