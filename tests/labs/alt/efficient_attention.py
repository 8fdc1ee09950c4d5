"""A correct lab 2 written differently: FlashAttention-2 tiling (query tiles outer, key blocks inner) in float64."""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG2E = math.log2(math.e)


def naive_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Scores by einsum, a hand-written stable softmax, masked positions dropped with torch.where."""
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.full_like(scores, -math.inf))
    weights = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.einsum("bhqk,bhkd->bhqd", weights, v)


def _tile(q_tile: Tensor, k: Tensor, v: Tensor, block_size: int, first_pos: int, causal: bool) -> Tensor:
    """One tile of queries (float64) against the key blocks it can see; base-2 exponentials as in FlashAttention."""
    rows, Tk = q_tile.shape[-2], k.shape[-2]
    q2 = q_tile * (LOG2E / math.sqrt(q_tile.shape[-1]))  # scores in base 2: exp(s) = exp2(s * log2(e))
    last_visible = first_pos + rows - 1 if causal else Tk - 1  # the tile's last query sees keys up to here
    row_max = torch.full((*q_tile.shape[:-1], 1), -math.inf, dtype=q_tile.dtype, device=q_tile.device)
    row_sum = torch.zeros_like(row_max)
    acc = torch.zeros((*q_tile.shape[:-1], v.shape[-1]), dtype=q_tile.dtype, device=q_tile.device)
    for start in range(0, last_visible + 1, block_size):  # blocks wholly in the tile's future are skipped
        stop = min(start + block_size, Tk)
        s = q2 @ k[..., start:stop, :].to(q_tile.dtype).transpose(-2, -1)
        if causal and stop - 1 > first_pos:  # only blocks that reach past the tile's first query need a mask
            qpos = torch.arange(first_pos, first_pos + rows, device=s.device)
            kpos = torch.arange(start, stop, device=s.device)
            s = torch.where(kpos[None, :] <= qpos[:, None], s, -math.inf)
        new_max = torch.maximum(row_max, s.amax(dim=-1, keepdim=True))
        # Where a row has seen nothing yet (both maxima -inf), its sum and accumulator are 0: keep them 0.
        shrink = torch.where(new_max == -math.inf, 0.0, torch.exp2(row_max - new_max))
        p = torch.exp2(s - torch.where(new_max == -math.inf, 0.0, new_max))
        row_sum = row_sum * shrink + p.sum(dim=-1, keepdim=True)
        acc = acc * shrink + p @ v[..., start:stop, :].to(q_tile.dtype)
        row_max = new_max
    return acc / row_sum


def online_softmax_attention(q: Tensor, k: Tensor, v: Tensor, block_size: int = 64, causal: bool = False) -> Tensor:
    """Query tiles of `block_size` rows, each walking the key blocks with its own running max and sum."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    offset = Tk - Tq  # query i sits at key position offset + i
    tiles = []
    for r0 in range(0, Tq, block_size):
        q_tile = q[..., r0 : r0 + block_size, :].to(torch.float64)
        tiles.append(_tile(q_tile, k, v, block_size, offset + r0, causal))
    return torch.cat(tiles, dim=-2).to(q.dtype)


def attention_flops(T: int, d: int) -> int:
    """Two T x T x d matrix products (scores, then weights times values), two operations per multiply-add."""
    per_product = 2 * d * T**2
    return per_product + per_product
