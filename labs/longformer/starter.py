"""Lab 13 starter: Longformer's sliding-window and global masks, banded attention, and its pair count."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T): True where query i may attend key j, i.e. |i - j| <= window // 2.

    Build it on the CPU (tests move it). A window wider than the sequence simply covers all of it.
    """
    raise NotImplementedError


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """Bool (T, T): the sliding window, plus the full row and the full column of every global index.

    A global token attends to every position (its row) and every position attends to it (its column).
    """
    raise NotImplementedError


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Attention under `sliding_window_mask` for q, k, v (B, H, T, d) -> (B, H, T, d), scaled by 1/sqrt(d).

    Compute only the O(T * window) scores of the band: no tensor may hold a T x T score matrix (or mask).
    Near the edges a query has fewer keys; padding you add there must get no attention weight.
    The output must be differentiable with respect to q, k and v.
    """
    raise NotImplementedError


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Number of True entries of `longformer_mask(T, window, range(n_global))`, by formula (no mask).

    Count each (query, key) pair once: global rows and columns overlap, and the band is cut off at
    both edges of the sequence.
    """
    raise NotImplementedError
