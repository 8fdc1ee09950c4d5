"""attention_pairs gives every non-global row 2 * (window // 2) + 1 keys, ignoring the edges.

Message: the band was not cut off at the sequence edges
"""

from __future__ import annotations

from labs.longformer.solution import longformer_mask, sliding_window_attention, sliding_window_mask  # the correct part


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T - n_global
    band = n * (2 * min(window // 2, max(T - 1, 0)) + 1)
    return 2 * g * T - g * g + band
