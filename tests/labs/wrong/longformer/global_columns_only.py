"""longformer_mask sets only the global columns, not the global rows.

Message: global columns only
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from labs.longformer.solution import attention_pairs, sliding_window_attention, sliding_window_mask  # the correct part


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The window plus full rows and columns for the global indices."""
    mask = sliding_window_mask(T, window)
    idx = torch.tensor(list(global_indices), dtype=torch.long)
    mask[:, idx] = True
    return mask
