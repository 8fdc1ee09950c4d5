"""Wrong: the "manual" backward calls torch.autograd.grad (autograd is forbidden in this lab).

Message: torch.autograd.grad is forbidden in this lab
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_forward, softmax_backward  # the correct parts


@torch.enable_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of X, W_q, W_k, W_v, by replaying the forward under autograd."""
    leaves = [cache[k].detach().clone().requires_grad_() for k in ("X", "W_q", "W_k", "W_v")]
    out, _ = attention_forward(*leaves)
    grads = torch.autograd.grad(out, leaves, dout)
    return {k: g.detach() for k, g in zip(("X", "W_q", "W_k", "W_v"), grads, strict=True)}
