"""attention_pairs does not clamp window // 2 to the sequence, so wide windows miscount.

Message: window // 2 was not clamped to T - 1
"""

from __future__ import annotations

from labs.longformer.solution import longformer_mask, sliding_window_attention, sliding_window_mask  # the correct part


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T - n_global
    h = window // 2
    band = n * (2 * h + 1) - h * (h + 1) if n > 0 else 0
    return 2 * g * T - g * g + band
