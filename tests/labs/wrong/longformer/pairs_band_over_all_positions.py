"""attention_pairs counts the band over all T positions, so band cells in global rows and columns count twice.

Message: window entries inside the global rows and columns were counted again
"""

from __future__ import annotations

from labs.longformer.solution import longformer_mask, sliding_window_attention, sliding_window_mask  # the correct part


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T
    h = min(window // 2, max(n - 1, 0))
    band = n * (2 * h + 1) - h * (h + 1) if n > 0 else 0
    return 2 * g * T - g * g + band
