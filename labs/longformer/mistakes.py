"""Known wrong answers of lab 13, built from the inputs so that failure messages can name them.

Also the two mask helpers the tests and the mistakes share: `band` (a [T, T] rule on positions) and `dense`
(PyTorch's own masked attention, the expected value of every attention test).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.grading import reference

OFF_BY_ONE_STRICT = "an off-by-one window: |i - j| < window // 2 drops the outermost key on each side"
OFF_BY_ONE_FULL = "an off-by-one window: |i - j| <= window uses the whole window on each side (use window // 2)"
CAUSAL = "a one-sided (causal) window: Longformer's window looks window // 2 ahead as well as behind"
NO_SCALE = "the 1/sqrt(d) scale was left out of the scores"
PADDING = (
    "padded out-of-range positions at the sequence edges got attention weight (mask them with -inf before the "
    "softmax)"
)


def band(T: int, keep: Callable[[Tensor, Tensor], Tensor]) -> Tensor:
    """Bool [T, T] on the CPU from a rule on query positions i (a column) and key positions j (a row)."""
    pos = torch.arange(T)
    return torch.broadcast_to(keep(pos[:, None], pos[None, :]), (T, T))


def is_global(pos: Tensor, globals_: list[int]) -> Tensor:
    """True where a position is one of the global indices."""
    return torch.isin(pos, torch.tensor(globals_, dtype=torch.long))


def dense(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, **kw: Any) -> Tensor:
    """Dense masked attention through PyTorch's own operator (the forbidden call, lifted)."""
    with reference():
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.device), **kw)


def window_mistakes(T: int, window: int) -> dict[str, Tensor]:
    """Masks that common window mistakes produce."""
    h = window // 2
    return {
        OFF_BY_ONE_STRICT: band(T, lambda i, j: (i - j).abs() < h),
        OFF_BY_ONE_FULL: band(T, lambda i, j: (i - j).abs() <= window),
        CAUSAL: band(T, lambda i, j: (i >= j) & (i - j <= h)),
    }


def global_mistakes(T: int, window: int, globals_: list[int]) -> dict[str, Tensor]:
    """Masks that common global-attention mistakes produce."""
    h = window // 2
    return {
        "global rows only: a global token attends to all, but the other tokens must also attend to it "
        "(set its column too)": band(T, lambda i, j: ((i - j).abs() <= h) | is_global(i, globals_)),
        "global columns only: every token attends to the global token, but the global token must also "
        "attend to every token (set its row too)": band(T, lambda i, j: ((i - j).abs() <= h) | is_global(j, globals_)),
        "the global indices were ignored": band(T, lambda i, j: (i - j).abs() <= h),
    }


def padding_gets_weight(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Keys and values zero-padded by window // 2 at both ends and the padding left unmasked (score 0)."""
    T, h = q.shape[-2], window // 2
    k_pad, v_pad = (F.pad(x, (0, 0, h, h)) for x in (k, v))
    reach = band(T + 2 * h, lambda i, c: (c >= i) & (c - i <= 2 * h))[:T]
    return dense(q, k_pad, v_pad, reach)


def attention_mistakes(q: Tensor, k: Tensor, v: Tensor, window: int) -> dict[str, Tensor]:
    """Outputs of common attention mistakes."""
    T = q.shape[-2]
    h = window // 2
    mistakes = {
        NO_SCALE: dense(q, k, v, band(T, lambda i, j: (i - j).abs() <= h), scale=1.0),
        PADDING: padding_gets_weight(q, k, v, window),
        "a one-sided (causal) window: each query must also see the window // 2 keys after it": dense(
            q, k, v, band(T, lambda i, j: (i >= j) & (i - j <= h))
        ),
        "an off-by-one window: |i - j| <= window instead of window // 2": dense(
            q, k, v, band(T, lambda i, j: (i - j).abs() <= window)
        ),
    }
    if h > 0:
        mistakes[OFF_BY_ONE_STRICT] = dense(q, k, v, band(T, lambda i, j: (i - j).abs() < h))
    return mistakes


def band_count(n: int, half: int) -> int:
    """n(2h + 1) - h(h + 1): the band of n positions cut at both edges, unclamped."""
    return n * (2 * half + 1) - half * (half + 1) if n > 0 else 0


def pair_mistakes(cases: list[tuple[int, int, int]]) -> dict[str, list[int]]:
    """What wrong pair-count formulas give on each (T, window, n_global) case."""

    def clamp(T: int, w: int) -> int:
        return min(w // 2, max(T - 1, 0))

    return {
        "the band was not cut off at the sequence edges (not every row has 2 * (window // 2) + 1 keys: "
        "subtract the h(h+1)/2 missing at each end)": [
            (T - g) * (2 * clamp(T, w) + 1) + 2 * g * T - g * g for T, w, g in cases
        ],
        "window // 2 was not clamped to T - 1, so a window wider than the sequence miscounts": [
            2 * g * T - g * g + band_count(T - g, w // 2) for T, w, g in cases
        ],
        "the g x g corner where global rows meet global columns was counted twice": [
            2 * g * T + band_count(T - g, clamp(T - g, w)) for T, w, g in cases
        ],
        "window entries inside the global rows and columns were counted again (count the band of the "
        "T - g non-global positions only)": [band_count(T, clamp(T, w)) + 2 * g * T - g * g for T, w, g in cases],
        "n_global was ignored": [band_count(T, clamp(T, w)) for T, w, g in cases],
    }
