"""Wrong: the forward leaves out the 1/sqrt(d) scale (the backward keeps it).

Message: attention without the 1/sqrt(d) scale
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.attention_gradient.solution import attention_backward, softmax_backward  # the correct parts


def attention_forward(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
    """Single-head attention; the cache holds the inputs, Q, K, V and P."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    S = Q @ K.T  # the mistake
    E = torch.exp(S - S.amax(dim=-1, keepdim=True))
    P = E / E.sum(dim=-1, keepdim=True)
    return P @ V, {"X": X, "W_q": W_q, "W_k": W_k, "W_v": W_v, "Q": Q, "K": K, "V": V, "P": P}
