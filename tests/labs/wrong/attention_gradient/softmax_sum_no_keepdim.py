"""Wrong: the softmax backward's row sums lose keepdim, so they are subtracted along the wrong axis."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_forward  # the correct parts


def softmax_backward(P: Tensor, dP: Tensor) -> Tensor:
    """dS for P = softmax(S) along the last dim."""
    return P * (dP - (dP * P).sum(dim=-1))  # the mistake


@torch.no_grad()
def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """The solution's backward, repeated so that it calls this file's softmax_backward."""
    X, W_q, W_k, W_v = cache["X"], cache["W_q"], cache["W_k"], cache["W_v"]
    Q, K, V, P = cache["Q"], cache["K"], cache["V"], cache["P"]
    scale = 1.0 / math.sqrt(Q.shape[-1])
    dV = P.T @ dout
    dP = dout @ V.T
    dS = softmax_backward(P, dP)
    dQ = dS @ K * scale
    dK = dS.T @ Q * scale
    dX = dQ @ W_q.T + dK @ W_k.T + dV @ W_v.T
    return {"X": dX, "W_q": X.T @ dQ, "W_k": X.T @ dK, "W_v": X.T @ dV}
