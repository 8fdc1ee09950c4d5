"""Wrong: the forward's softmax exponentiates the raw scores (no max subtraction), so large scores give NaN.

Message: subtract each row's maximum before exp
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_backward, softmax_backward  # the correct parts


def attention_forward(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Single-head attention; the cache holds the inputs, Q, K, V and P."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    S = Q @ K.T / math.sqrt(Q.shape[-1])
    E = torch.exp(S)  # the mistake
    P = E / E.sum(dim=-1, keepdim=True)
    return P @ V, {"X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "Q": Q, "K": K, "V": V, "P": P}
