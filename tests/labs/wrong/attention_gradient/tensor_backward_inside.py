"""Wrong: the "manual" backward calls .backward() on a replayed forward (autograd is forbidden in this lab).

Message: torch.Tensor.backward is forbidden in this lab
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_forward, softmax_backward  # the correct parts


@torch.enable_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of X, W_q, W_k, W_v, by calling .backward() on a replayed forward."""
    leaves = [cache[k].detach().clone().requires_grad_() for k in ("X", "W_q", "W_k", "W_v")]
    out, _ = attention_forward(*leaves)
    (out * dout).sum().backward()
    return {k: t.grad for k, t in zip(("X", "W_q", "W_k", "W_v"), leaves, strict=True)}
