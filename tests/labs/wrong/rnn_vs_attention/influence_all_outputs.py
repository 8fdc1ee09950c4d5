"""influence differentiates the sum of every step's output, not only the last step's.

Message: the gradient of fn(x).sum(), every step
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from labs.rnn_vs_attention.solution import rnn_forward, self_attention  # the correct part


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(fn(x).sum(), x)
    return grad.pow(2).sum(dim=(0, 2)).sqrt()
