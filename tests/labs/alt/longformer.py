"""Alternative correct longformer lab: masks by index arithmetic, attention one band diagonal at a time."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def sliding_window_mask(T: int, window: int) -> Tensor:
    """Bool (T, T): the main diagonal and window // 2 diagonals above and below it."""
    mask = torch.zeros(T, T, dtype=torch.bool)
    for offset in range(-(window // 2), window // 2 + 1):
        if abs(offset) < T:
            mask |= torch.ones(T - abs(offset), dtype=torch.bool).diag(offset)
    return mask


def longformer_mask(T: int, window: int, global_indices: Sequence[int]) -> Tensor:
    """The window OR a global row OR a global column."""
    is_global = torch.zeros(T, dtype=torch.bool)
    is_global[list(global_indices)] = True
    return sliding_window_mask(T, window) | is_global[:, None] | is_global[None, :]


def sliding_window_attention(q: Tensor, k: Tensor, v: Tensor, window: int) -> Tensor:
    """Score diagonal `o` of the band holds q_i . k_{i+o}; it is a length-T vector, -inf where i+o is outside."""
    T, d = q.shape[-2:]
    half = min(window // 2, T - 1)
    diagonals = []
    for o in range(-half, half + 1):
        lo, hi = max(0, -o), min(T, T - o)  # queries whose key i + o exists
        s = (q[..., lo:hi, :] * k[..., lo + o : hi + o, :]).sum(-1) * d**-0.5
        diagonals.append(torch.nn.functional.pad(s, (lo, T - hi), value=float("-inf")))
    weights = torch.stack(diagonals, dim=-1).softmax(dim=-1)  # (B, H, T, 2*half + 1)
    out = torch.zeros_like(q)
    for c, o in enumerate(range(-half, half + 1)):
        lo, hi = max(0, -o), min(T, T - o)
        contribution = weights[..., lo:hi, c, None] * v[..., lo + o : hi + o, :]
        out = out + torch.nn.functional.pad(contribution, (0, 0, lo, T - hi))
    return out


def attention_pairs(T: int, window: int, n_global: int) -> int:
    """Row by row: a global row holds T keys; another row holds the g globals and its clipped non-global window."""
    g = n_global
    return g * T + (T - g) * g + clipped_window_sum(T - g, window // 2)


def clipped_window_sum(n: int, h: int) -> int:
    """Sum over i in [0, n) of |[i - h, i + h] ∩ [0, n)|: the full 2h + 1 minus what falls off each end."""
    if n <= 0:
        return 0
    m = min(h, n - 1)  # the row r from an end loses max(0, h - r) keys there
    lost_per_end = m * (m + 1) // 2 + (h - m) * n
    return n * (2 * h + 1) - 2 * lost_per_end
