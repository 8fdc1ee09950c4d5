"""attention_flops counts a multiply-add as one operation: 2 * T * T * d.

Message: half the count
"""

from __future__ import annotations

from labs.efficient_attention.solution import naive_attention, online_softmax_attention  # the correct part


def attention_flops(T: int, d: int) -> int:
    """T * T * d multiply-adds for Q K^T and as many for P V."""
    return 2 * T * T * d
