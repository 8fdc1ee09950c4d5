"""Known wrong answers of lab 2, computed in float64 from the inputs, so that failure messages can name them.

Also the helpers the tests and the mistakes share: `attend` (PyTorch's own attention in float64, the expected
value of every attention test) and `causal_mask` (the bottom-right causal rule of the contract).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.grading import reference

# naive_attention
NO_SCALE = "the 1/sqrt(d) scale was left out of the scores"
SCALE_BY_D = "the scores were divided by d instead of sqrt(d)"
SOFTMAX_OVER_QUERIES = "softmax over the queries (dim -2) instead of over the keys (the last dim)"
MASK_INVERTED = (
    "an inverted mask: True means 'may attend' (as in F.scaled_dot_product_attention), so fill the scores "
    "where the mask is False: masked_fill(~mask, -inf)"
)
MASK_ZERO = (
    "masked scores set to 0 instead of -inf (exp(0) is not 0: a masked key still gets weight; fill with -inf)"
)
MASK_ADDED = "the boolean mask was added to the scores (True becomes +1); fill the masked scores with -inf instead"
MASK_AFTER_SOFTMAX = (
    "the mask was applied after the softmax (weights * mask), so the weights no longer sum to 1; mask the "
    "scores before the softmax"
)
MASK_IGNORED = "the mask was ignored"

# online_softmax_attention
NO_RESCALE_OUT = (
    "the running output was not rescaled when the maximum grew: o = o * exp(m_old - m_new) + p @ v_block"
)
NO_RESCALE_SUM = (
    "the running sum was not rescaled when the maximum grew: l = l * exp(m_old - m_new) + p.sum(-1)"
)
NO_FINAL_DIVIDE = "the output was never divided by the running sum l (return o / l)"
BLOCK_MEAN = (
    "each block was normalised on its own (a softmax per block) and the blocks averaged: all blocks must share "
    "one running max and one running sum"
)
DROP_TAIL = "the last, partial block was dropped (block_size does not divide Tk: walk range(0, Tk, block_size))"
PAD_WEIGHT = (
    "zero padding added to the last block got weight (a zero key scores 0, not -inf: mask the padding or "
    "slice the last block shorter)"
)
CAUSAL_TOP_LEFT = (
    "a top-left causal mask (query i sees keys 0..i); the queries are aligned with the end of the keys: "
    "query i sits at position Tk - Tq + i"
)
CAUSAL_STRICT = "a causal mask that hides the diagonal: query i must also see its own position Tk - Tq + i"
CAUSAL_BLOCK_LOCAL = (
    "the causal mask of each block compared positions within the block (0..block_size - 1) instead of the "
    "absolute key positions start + j"
)
CAUSAL_IGNORED = "causal=True was ignored (no causal mask)"
CAUSAL_WHEN_NOT_ASKED = "a causal mask was applied although causal=False"

# attention_flops
FLOPS_HALF = "half the count: Q K^T and P V each take 2 * T * T * d (a multiply-add is two operations)"
FLOPS_QUARTER = "a quarter of the count: one product with multiply-adds counted once (each of two products is 2T^2 d)"
FLOPS_LINEAR = "T instead of T * T: every one of the T queries meets all T keys"


def attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, scale: float | None = None) -> Tensor:
    """F.scaled_dot_product_attention in float64 (the forbidden call, lifted), cast back to q's dtype."""
    with reference():
        out = F.scaled_dot_product_attention(
            q.double(), k.double(), v.double(), attn_mask=None if mask is None else mask.to(q.device), scale=scale
        )
    return out.to(q.dtype)


def causal_mask(Tq: int, Tk: int, device: torch.device | str = "cpu", shift: int = 0) -> Tensor:
    """Bool [Tq, Tk]: query i (at position Tk - Tq + i) sees key j iff j <= Tk - Tq + i + shift."""
    i = torch.arange(Tq, device=device)[:, None]
    j = torch.arange(Tk, device=device)[None, :]
    return j <= Tk - Tq + i + shift


def _scores64(q: Tensor, k: Tensor) -> Tensor:
    return q.double() @ k.double().transpose(-2, -1) / math.sqrt(q.shape[-1])


def naive_mistakes(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> dict[str, Tensor]:
    """Outputs of wrong naive attentions (mask-related ones only when a mask is given)."""
    d = q.shape[-1]
    s, v64 = _scores64(q, k), v.double()
    masked = s if mask is None else s.masked_fill(~mask.to(q.device), float("-inf"))
    mistakes = {
        NO_SCALE: attend(q, k, v, mask, scale=1.0),
        SCALE_BY_D: attend(q, k, v, mask, scale=1.0 / d),
        SOFTMAX_OVER_QUERIES: (torch.softmax(masked, dim=-2) @ v64).to(q.dtype),
    }
    if mask is not None:
        m = mask.to(q.device)
        mistakes[MASK_INVERTED] = attend(q, k, v, ~m)
        mistakes[MASK_ZERO] = (torch.softmax(s.masked_fill(~m, 0.0), dim=-1) @ v64).to(q.dtype)
        mistakes[MASK_ADDED] = (torch.softmax(s + m.double(), dim=-1) @ v64).to(q.dtype)
        mistakes[MASK_AFTER_SOFTMAX] = ((torch.softmax(s, dim=-1) * m) @ v64).to(q.dtype)
        mistakes[MASK_IGNORED] = attend(q, k, v)
    return mistakes


def _recurrence(q: Tensor, k: Tensor, v: Tensor, block_size: int, causal: bool, flaw: str) -> Tensor:
    """The online-softmax recurrence in float64 over key blocks, with one named flaw in it."""
    q, k, v = q.double(), k.double(), v.double()
    Tq, Tk = q.shape[-2], k.shape[-2]
    m = q.new_full((*q.shape[:-1], 1), float("-inf"))
    l = q.new_zeros((*q.shape[:-1], 1))
    o = q.new_zeros((*q.shape[:-1], v.shape[-1]))
    query_pos = torch.arange(Tk - Tq, Tk, device=q.device)[:, None]
    for start in range(0, Tk, block_size):
        kb, vb = k[..., start : start + block_size, :], v[..., start : start + block_size, :]
        s = q @ kb.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            key_pos = torch.arange(kb.shape[-2], device=q.device)[None, :]
            s = s.masked_fill(key_pos + (0 if flaw == CAUSAL_BLOCK_LOCAL else start) > query_pos, float("-inf"))
        m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))
        p = torch.exp(s - m_new)
        correction = torch.exp(m - m_new)
        l = (1.0 if flaw == NO_RESCALE_SUM else correction) * l + p.sum(dim=-1, keepdim=True)
        o = (1.0 if flaw == NO_RESCALE_OUT else correction) * o + p @ vb
        m = m_new
    return o if flaw == NO_FINAL_DIVIDE else o / l


def _block_mean(q: Tensor, k: Tensor, v: Tensor, block_size: int) -> Tensor:
    """Each block's own softmax attention, averaged over the blocks."""
    outs = [
        attend(q, k[..., s : s + block_size, :], v[..., s : s + block_size, :]).double()
        for s in range(0, k.shape[-2], block_size)
    ]
    return (sum(outs) / len(outs)).to(q.dtype)


def online_mistakes(q: Tensor, k: Tensor, v: Tensor, block_size: int, causal: bool) -> dict[str, Tensor]:
    """Outputs of wrong online-softmax attentions for these inputs, block size and causal flag."""
    Tq, Tk = q.shape[-2], k.shape[-2]
    mask = causal_mask(Tq, Tk, q.device) if causal else None
    mistakes = {NO_SCALE: attend(q, k, v, mask, scale=1.0), SCALE_BY_D: attend(q, k, v, mask, scale=1 / q.shape[-1])}
    for flaw in (NO_RESCALE_OUT, NO_RESCALE_SUM, NO_FINAL_DIVIDE):
        mistakes[flaw] = _recurrence(q, k, v, block_size, causal, flaw).to(q.dtype)
    full = (Tk // block_size) * block_size
    if 0 < full < Tk:
        kept = None if mask is None else mask[:, :full]
        mistakes[DROP_TAIL] = attend(q, k[..., :full, :], v[..., :full, :], kept)
    if causal:
        mistakes[CAUSAL_TOP_LEFT] = attend(q, k, v, causal_mask(Tq, Tk, q.device, shift=Tq - Tk))
        mistakes[CAUSAL_STRICT] = attend(q, k, v, causal_mask(Tq, Tk, q.device, shift=-1))
        mistakes[CAUSAL_BLOCK_LOCAL] = _recurrence(q, k, v, block_size, causal, CAUSAL_BLOCK_LOCAL).to(q.dtype)
        mistakes[CAUSAL_IGNORED] = attend(q, k, v)
        return mistakes
    if Tk % block_size:
        pad = block_size - Tk % block_size
        mistakes[PAD_WEIGHT] = attend(q, F.pad(k, (0, 0, 0, pad)), F.pad(v, (0, 0, 0, pad)))
    if Tk > block_size:
        mistakes[BLOCK_MEAN] = _block_mean(q, k, v, block_size)
    if Tq > 1:
        mistakes[CAUSAL_WHEN_NOT_ASKED] = attend(q, k, v, causal_mask(Tq, Tk, q.device))
    return mistakes


def flops_mistakes(T: int, d: int) -> dict[str, int]:
    """attention_flops(T, d) under each counting mistake."""
    return {FLOPS_HALF: 2 * T * T * d, FLOPS_QUARTER: T * T * d, FLOPS_LINEAR: 4 * T * d}
