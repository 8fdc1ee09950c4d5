"""attention_flops returns a float (4.0 * T**2 * d), which loses exactness for large T.

Message: return a Python int
"""

from __future__ import annotations

from labs.efficient_attention.solution import naive_attention, online_softmax_attention  # the correct part


def attention_flops(T: int, d: int) -> int:
    """4 T^2 d, computed in floating point."""
    return 4.0 * T**2 * d  # type: ignore[return-value]
