"""sliding_window_attention runs under torch.no_grad(), so no gradient reaches q, k, v.

Message: output does not require grad
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.longformer import solution
from labs.longformer.solution import attention_pairs, longformer_mask, sliding_window_mask  # the correct part


@torch.no_grad()
def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """The solution's banded attention, but with gradients switched off."""
    return solution.sliding_window_attention(q, k, v, window)
