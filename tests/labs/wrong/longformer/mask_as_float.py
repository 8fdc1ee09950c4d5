"""sliding_window_mask returns a float 0/1 tensor instead of a bool mask.

Message: dtype mismatch: expected torch.bool
"""

from __future__ import annotations

from collections.abc import Sequence
from unittest.mock import patch

import torch
from torch import Tensor

from labs.longformer import solution
from labs.longformer.solution import attention_pairs, sliding_window_attention  # the correct part


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T): |i - j| <= window // 2."""
    pos = torch.arange(T)
    return ((pos[:, None] - pos[None, :]).abs() <= window // 2).float()


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The solution's longformer_mask over this file's sliding window."""
    with patch.object(solution, "sliding_window_mask", sliding_window_mask):
        return solution.longformer_mask(T, window, global_indices)
