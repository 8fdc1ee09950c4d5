"""Known wrong answers of lab 4, computed from the inputs and the weights, so that failure messages can name them.

`heads_attention` is multi-head attention written out as a formula with one switch per known mistake; the tests
use it only to build the outputs of wrong answers (their expected values come from nn.MultiheadAttention).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

Weights = dict[str, tuple[Tensor, Tensor | None]]  # "q", "k", "v", "out" -> (weight [D, D], bias [D] or None)

NO_SCALE = "the scores were not scaled by 1/sqrt(d_head)"
SCALE_D_MODEL = (
    "scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_model / n_heads): each head's dot products run over "
    "d_head features, so the scale is per head"
)
SCALE_D_HEAD = "scores divided by d_head instead of sqrt(d_head)"
SOFTMAX_QUERIES = "the softmax taken over the queries (dim -2) instead of over the keys (the last dim)"
NO_OUT_PROJ = "the output projection out_proj was left out"
ONE_HEAD = "one head of full width: the features were never split into n_heads heads, each with its own softmax"
NO_BIAS = "the projection biases were left out (bias=True: nn.Linear adds them)"
UNTRANSPOSED = "the projection weights used untransposed (x @ W): nn.Linear computes x @ W.T + b"
SPLIT_NO_TRANSPOSE = (
    "split_heads reshaped [B, T, D] straight to [B, H, T, D // H], which mixes positions into heads: view it as "
    "[B, T, H, D // H], then transpose(1, 2)"
)
SPLIT_NOT_MOVED = "the heads split off as [B, T, H, D // H] but not moved in front of time (transpose(1, 2))"
SPLIT_STRIDED = (
    "heads taken feature by feature (head h got features h, h + H, h + 2H, ...): head h owns the contiguous slice "
    "h * d_head .. (h + 1) * d_head - 1, as in nn.MultiheadAttention"
)
MERGE_NO_TRANSPOSE = (
    "merge_heads reshaped [B, H, T, dh] straight to [B, T, H * dh] without moving the heads back behind time "
    "(transpose(1, 2) first)"
)
MERGE_INTERLEAVED = (
    "the heads interleaved feature by feature when merged (permute(0, 2, 3, 1)): head h's features belong at "
    "h * dh .. (h + 1) * dh - 1"
)
MERGE_VIEW = (
    ".view on a transposed (non-contiguous) tensor: after transpose(1, 2) use .reshape, or .contiguous().view"
)
MASK_INVERTED = (
    "the mask's polarity inverted: here True means 'may attend', as in F.scaled_dot_product_attention (the "
    "opposite of nn.MultiheadAttention's attn_mask, where True blocks)"
)
MASK_IGNORED = "the mask was ignored"
MASK_ZERO = "masked scores set to 0 instead of -inf (a score of 0 still gets weight exp(0) in the softmax)"
MASK_AFTER_SOFTMAX = (
    "the attention weights zeroed after the softmax, so the rows no longer sum to 1: mask the scores with -inf "
    "before the softmax"
)
CAUSAL_BY_DEFAULT = "a causal mask applied although mask is None (with no mask, every query sees every key)"
CONTEXT_IGNORED = "the context was ignored: in cross-attention the keys and values come from context"
KEYS_FROM_X = "the keys computed from x instead of context (cross-attention: keys and values from context)"
VALUES_FROM_X = "the values computed from x instead of context (cross-attention: keys and values from context)"
QUERIES_FROM_CONTEXT = "the queries computed from context: they come from x, the keys and values from context"
UNSTABLE = (
    "a softmax without subtracting each row's maximum: exp overflows (float32 exp is inf past 88), and "
    "inf / inf is NaN; softmax(s) = softmax(s - max(s))"
)


def split(x: Tensor, n_heads: int, how: str = "contiguous") -> Tensor:
    """[B, T, D] -> [B, H, T, dh], the right way or a known wrong one."""
    B, T, D = x.shape
    dh = D // n_heads
    if how == "no_transpose":
        return x.reshape(B, n_heads, T, dh)
    if how == "strided":
        return x.reshape(B, T, dh, n_heads).permute(0, 3, 1, 2)
    if how == "not_moved":
        return x.reshape(B, T, n_heads, dh)
    return x.reshape(B, T, n_heads, dh).transpose(1, 2)


def merge(x: Tensor, how: str = "contiguous") -> Tensor:
    """[B, H, T, dh] -> [B, T, H * dh], the right way or a known wrong one."""
    B, H, T, dh = x.shape
    if how == "no_transpose":
        return x.reshape(B, T, H * dh)
    if how == "interleaved":
        return x.permute(0, 2, 3, 1).reshape(B, T, H * dh)
    return x.transpose(1, 2).reshape(B, T, H * dh)


def split_mistakes(x: Tensor, n_heads: int) -> dict[str, Tensor]:
    """What wrong split_heads return."""
    return {
        SPLIT_NO_TRANSPOSE: split(x, n_heads, "no_transpose"),
        SPLIT_STRIDED: split(x, n_heads, "strided"),
        SPLIT_NOT_MOVED: split(x, n_heads, "not_moved"),
    }


def merge_mistakes(x: Tensor) -> dict[str, Tensor]:
    """What wrong merge_heads return."""
    return {MERGE_NO_TRANSPOSE: merge(x, "no_transpose"), MERGE_INTERLEAVED: merge(x, "interleaved")}


def _project(t: Tensor, weight: Tensor, bias: Tensor | None, *, use_bias: bool, transposed: bool) -> Tensor:
    y = t @ (weight if transposed else weight.T)
    return y + bias if use_bias and bias is not None else y


def heads_attention(
    x: Tensor,
    weights: Weights,
    n_heads: int,
    mask: Tensor | None = None,
    context: Tensor | None = None,
    *,
    scale: Callable[[int, int], float] = lambda dh, d: 1 / math.sqrt(dh),
    softmax_dim: int = -1,
    masking: str = "neg_inf",
    split_how: str = "contiguous",
    merge_how: str = "contiguous",
    sources: str = "xcc",
    out_proj: bool = True,
    use_bias: bool = True,
    transposed: bool = False,
    causal: bool = False,
    stable: bool = True,
) -> Tensor:
    """Multi-head attention as a formula; each keyword is one switch a known mistake flips.

    `sources` says where q, k and v come from: "x" or "c" (the context, x itself when none is given).
    """
    ctx = x if context is None else context
    inputs = [x if s == "x" else ctx for s in sources]
    q, k, v = (
        split(_project(t, *weights[name], use_bias=use_bias, transposed=transposed), n_heads, split_how)
        for t, name in zip(inputs, "qkv", strict=True)
    )
    dh, d = q.shape[-1], x.shape[-1]
    scores = q @ k.transpose(-2, -1) * scale(dh, d)  # (B, H, T, S)
    keep = mask
    if causal:
        keep = torch.ones(scores.shape[-2:], dtype=torch.bool, device=x.device).tril()
    if keep is not None and masking == "neg_inf":
        scores = scores.masked_fill(~keep, float("-inf"))
    elif keep is not None and masking == "inverted":
        scores = scores.masked_fill(keep, float("-inf"))
    elif keep is not None and masking == "zero":
        scores = scores.masked_fill(~keep, 0.0)
    if stable:
        probs = torch.softmax(scores, dim=softmax_dim)
    else:
        e = scores.exp()
        probs = e / e.sum(dim=softmax_dim, keepdim=True)
    if keep is not None and masking == "after_softmax":
        probs = probs * keep
    y = merge(probs @ v, merge_how)
    return _project(y, *weights["out"], use_bias=use_bias, transposed=transposed) if out_proj else y


def forward_mistakes(
    x: Tensor, weights: Weights, n_heads: int, mask: Tensor | None = None, context: Tensor | None = None
) -> dict[str, Tensor]:
    """The outputs of every known wrong forward pass that applies to this call."""
    variants: dict[str, dict[str, object]] = {
        NO_SCALE: {"scale": lambda dh, d: 1.0},
        SCALE_D_MODEL: {"scale": lambda dh, d: 1 / math.sqrt(d)},
        SCALE_D_HEAD: {"scale": lambda dh, d: 1 / dh},
        SOFTMAX_QUERIES: {"softmax_dim": -2},
        NO_OUT_PROJ: {"out_proj": False},
        SPLIT_NO_TRANSPOSE: {"split_how": "no_transpose"},
        SPLIT_STRIDED: {"split_how": "strided"},
        MERGE_NO_TRANSPOSE: {"merge_how": "no_transpose"},
        MERGE_INTERLEAVED: {"merge_how": "interleaved"},
        NO_BIAS: {"use_bias": False},
        UNTRANSPOSED: {"transposed": True},
    }
    if mask is None and context is None:
        variants[CAUSAL_BY_DEFAULT] = {"causal": True}
    if mask is not None:
        variants |= {
            MASK_INVERTED: {"masking": "inverted"},
            MASK_IGNORED: {"masking": "ignored"},
            MASK_ZERO: {"masking": "zero"},
            MASK_AFTER_SOFTMAX: {"masking": "after_softmax"},
        }
    if context is not None:
        same_length = context.shape[1] == x.shape[1]
        variants[CONTEXT_IGNORED] = {"sources": "xxx"}
        variants[QUERIES_FROM_CONTEXT] = {"sources": "ccc"}
        if same_length:
            variants[KEYS_FROM_X] = {"sources": "xxc"}
            variants[VALUES_FROM_X] = {"sources": "xcx"}
    variants[ONE_HEAD] = {"heads": 1}
    found = {}
    for description, switches in variants.items():
        heads = int(switches.pop("heads", n_heads))  # type: ignore[call-overload]
        try:
            found[description] = heads_attention(x, weights, heads, mask, context, **switches)  # type: ignore[arg-type]
        except RuntimeError:  # this mistake cannot even run on these shapes
            continue
    return found
