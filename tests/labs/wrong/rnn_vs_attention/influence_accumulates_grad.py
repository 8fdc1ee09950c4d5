"""influence calls backward() on the caller's x and reads x.grad, which accumulates across calls.

Message: gradients accumulated in x.grad across calls
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from labs.rnn_vs_attention.solution import rnn_forward, self_attention  # the correct part


def influence(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """[T]: the 2-norm of the gradient of fn(x)[:, -1, :].sum() with respect to each x[:, t, :]."""
    x.requires_grad_()
    fn(x)[:, -1, :].sum().backward()
    assert x.grad is not None
    return x.grad.detach().pow(2).sum(dim=(0, 2)).sqrt()
