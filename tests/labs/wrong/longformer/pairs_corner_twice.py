"""attention_pairs counts the g x g corner of global rows and columns twice (2gT instead of 2gT - g^2).

Message: the g x g corner where global rows meet global columns was counted twice
"""

from __future__ import annotations

from labs.longformer.solution import longformer_mask, sliding_window_attention, sliding_window_mask  # the correct part


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Global rows and columns, then the band of the other positions."""
    g, n = n_global, T - n_global
    h = min(window // 2, max(n - 1, 0))
    band = n * (2 * h + 1) - h * (h + 1) if n > 0 else 0
    return 2 * g * T + band
