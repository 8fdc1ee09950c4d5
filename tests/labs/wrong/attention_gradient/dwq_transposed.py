"""Wrong: dW_q is computed as dQ^T X (transposed) instead of X^T dQ.

Message: dW_q computed as dQ^T X (transposed)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_forward, softmax_backward  # the correct parts


@torch.no_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """Gradients of X, W_q, W_k, W_v by hand."""
    X, W_q, W_k, W_v = cache["X"], cache["W_q"], cache["W_k"], cache["W_v"]
    Q, K, V, P = cache["Q"], cache["K"], cache["V"], cache["P"]
    scale = 1.0 / math.sqrt(Q.shape[-1])
    dV = P.T @ dout
    dP = dout @ V.T
    dS = softmax_backward(P, dP)
    dQ = dS @ K * scale
    dK = dS.T @ Q * scale
    dX = dQ @ W_q.T + dK @ W_k.T + dV @ W_v.T
    # the mistake: dW_q = dQ.T @ X
    return {"X": dX, "W_q": dQ.T @ X, "W_k": X.T @ dK, "W_v": X.T @ dV}
