"""Known wrong answers of lab 19, rebuilt from the block's weights so that failure messages can name them.

`block_output` computes a pre-LN block from a state dict by the formulas, in float64, with at most one named
mistake in it; the tests compare the learner's output against these when it differs from the reference.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor

from labs.grading import looks_like

# ----- the causal mask -----
MASK_UPPER = "the upper triangle (True above the diagonal lets each query see the future): use tril, not triu"
MASK_NO_DIAG = "a causal mask without the diagonal (tril(-1)): a token must attend to itself, or row 0 has no key"
MASK_BLOCKED = (
    "a mask that is True where attention is blocked (triu(1)); in this project True means \"may attend\", as in "
    "F.scaled_dot_product_attention"
)
MASK_FULL = "a mask of all True (no position is hidden from any other)"
MASK_PLUS_ONE = "a mask one diagonal too wide (tril(1)): each query also sees the next token, the one it must predict"

# ----- attention -----
NO_MASK = "attention without the causal mask (every position sees the future)"
MASK_INVERTED = (
    "the mask used the wrong way round (masked_fill where it is True, but True means \"may attend\": fill ~mask)"
)
MASK_AFTER_SOFTMAX = "the mask applied after the softmax (future weights zeroed, the rest not renormalised)"
SOFTMAX_DIM = "softmax over the queries (dim -2) instead of over the keys (the last dim)"
NO_SCALE = "scores without the 1/sqrt(head size) scale"
SCALE_D_MODEL = "scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_model / n_heads), the head size"
SINGLE_HEAD = "attention with one head over all of d_model (n_heads ignored)"
HEADS_NO_TRANSPOSE = (
    "heads split with view(B, H, T, hs) and merged with view(B, T, C), without transposing: view as "
    "(B, T, H, hs), then transpose(1, 2); merge with transpose(1, 2) before reshaping"
)
MERGE_NO_TRANSPOSE = "heads merged with reshape(B, T, C) straight from (B, H, T, hs): transpose(1, 2) first"
HEADS_INTERLEAVED = (
    "qkv split per head (view(B, T, H, 3 * hs)): the fused projection holds all of q, then all of k, then all of v"
)
QKV_ORDER = "qkv split in the order {order} (the fused projection is q, then k, then v)"

# ----- the block -----
POST_LN = "post-LN (x = ln(x + sublayer(x)), the original Transformer) instead of pre-LN (x + sublayer(ln(x)))"
RESIDUAL_FROM_NORMED = (
    "the residual taken from the normalised input (x = ln_1(x); x = x + attn(x)): the skip must carry x itself"
)
NO_ATTN_RESIDUAL = "the attention sub-layer without its residual connection (x + attn(ln_1(x)))"
NO_MLP_RESIDUAL = "the MLP sub-layer without its residual connection (x + mlp(ln_2(x)))"
LN_1_TWICE = "ln_1 used before the MLP too (the MLP reads ln_2(x))"
UNBIASED_LN = "LayerNorm with the unbiased variance (torch.var's default divides by D - 1; LayerNorm divides by D)"
TANH_GELU = (
    "the tanh approximation of GELU (the contract asks for the exact erf form: F.gelu(x), not approximate='tanh')"
)
RELU = "ReLU instead of GELU in the MLP"

# ----- parameters -----
PERSISTENT_BUFFER = (
    "a causal mask registered as a persistent buffer (nanoGPT's attn.bias): it adds a state_dict key the reference "
    "does not have; use register_buffer(..., persistent=False) or build the mask in forward"
)
HF_NAMES = "Hugging Face GPT-2's names (c_attn, c_proj, c_fc); this lab uses attn.qkv, attn.proj, mlp.fc, mlp.proj"
SEPARATE_QKV = (
    "separate q, k and v projections: the contract fuses them in one attn.qkv = nn.Linear(d_model, 3 * d_model)"
)
NO_BIAS = "a layer built without its bias (bias=False); every Linear and LayerNorm of the block has one"
TRANSPOSED_WEIGHT = (
    "a weight stored as [in, out] (GPT-2's Conv1D layout); nn.Linear(in, out) stores its weight as [out, in]"
)

UNSTABLE = (
    "an unstable softmax: exp of large scores overflows to inf (inf / inf = NaN); subtract each row's maximum "
    "first, or use torch.softmax"
)

ATTENTION_MISTAKES = [
    NO_MASK, MASK_INVERTED, MASK_NO_DIAG, MASK_AFTER_SOFTMAX, SOFTMAX_DIM, NO_SCALE, SCALE_D_MODEL, SINGLE_HEAD,
    HEADS_NO_TRANSPOSE, MERGE_NO_TRANSPOSE, HEADS_INTERLEAVED,
    *(QKV_ORDER.format(order=", ".join(o)) for o in ("qvk", "kqv", "kvq", "vqk", "vkq")),
]  # fmt: skip
BLOCK_MISTAKES = [POST_LN, RESIDUAL_FROM_NORMED, NO_ATTN_RESIDUAL, NO_MLP_RESIDUAL, LN_1_TWICE, UNBIASED_LN]
MLP_MISTAKES = [TANH_GELU, RELU]


def causal_mask_mistakes(T: int) -> dict[str, Tensor]:
    """What the usual wrong masks look like for T positions."""
    ones = torch.ones(T, T, dtype=torch.bool)
    return {
        MASK_UPPER: ones.triu(), MASK_NO_DIAG: ones.tril(-1), MASK_BLOCKED: ones.triu(1),
        MASK_PLUS_ONE: ones.tril(1), MASK_FULL: ones,
    }  # fmt: skip


def _layer_norm(x: Tensor, weight: Tensor, bias: Tensor, unbiased: bool) -> Tensor:
    centred = x - x.mean(dim=-1, keepdim=True)
    var = centred.pow(2).sum(dim=-1, keepdim=True) / (x.size(-1) - (1 if unbiased else 0))
    return centred / torch.sqrt(var + 1e-5) * weight + bias


def _split_heads(t: Tensor, n_heads: int, transposed: bool) -> Tensor:
    B, T, C = t.shape
    if not transposed:
        return t.reshape(B, n_heads, T, C // n_heads)
    return t.reshape(B, T, n_heads, C // n_heads).transpose(1, 2)


def _attention(p: Mapping[str, Tensor], h: Tensor, n_heads: int, mistake: str) -> Tensor:
    """Causal multi-head self-attention of h (B, T, C) by the formulas, with at most one mistake."""
    B, T, C = h.shape
    n_heads = 1 if mistake == SINGLE_HEAD else n_heads
    hs = C // n_heads
    qkv = h @ p["attn.qkv.weight"].T + p["attn.qkv.bias"]  # (B, T, 3C)
    if mistake == HEADS_INTERLEAVED:
        q, k, v = (t.transpose(1, 2) for t in qkv.reshape(B, T, n_heads, 3 * hs).split(hs, dim=-1))
    else:
        orders = {QKV_ORDER.format(order=", ".join(o)): o for o in ("qvk", "kqv", "kvq", "vqk", "vkq")}
        named = dict(zip(orders.get(mistake, "qkv"), qkv.split(C, dim=-1), strict=True))
        q, k, v = (_split_heads(named[n], n_heads, mistake != HEADS_NO_TRANSPOSE) for n in "qkv")
    scale = {NO_SCALE: 1.0, SCALE_D_MODEL: 1 / math.sqrt(C)}.get(mistake, 1 / math.sqrt(hs))
    scores = q @ k.transpose(-2, -1) * scale  # (B, H, T, T)
    lower = torch.ones(T, T, dtype=torch.bool, device=h.device).tril()
    allowed = {NO_MASK: torch.ones_like(lower), MASK_INVERTED: ~lower, MASK_NO_DIAG: lower.tril(-1)}.get(mistake, lower)
    fill = float("-inf") if mistake not in (MASK_INVERTED, MASK_NO_DIAG) else torch.finfo(h.dtype).min  # finite: no NaN
    if mistake == MASK_AFTER_SOFTMAX:
        weights = torch.softmax(scores, dim=-1) * lower
    else:
        weights = torch.softmax(scores.masked_fill(~allowed, fill), dim=-2 if mistake == SOFTMAX_DIM else -1)
    y = weights @ v  # (B, H, T, hs)
    if mistake not in (HEADS_NO_TRANSPOSE, MERGE_NO_TRANSPOSE):
        y = y.transpose(1, 2)  # (B, T, H, hs)
    y = y.reshape(B, T, C)
    return y @ p["attn.proj.weight"].T + p["attn.proj.bias"]


def _mlp(p: Mapping[str, Tensor], h: Tensor, mistake: str) -> Tensor:
    a = h @ p["mlp.fc.weight"].T + p["mlp.fc.bias"]
    if mistake == TANH_GELU:
        a = 0.5 * a * (1 + torch.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3)))
    elif mistake == RELU:
        a = a.clamp_min(0)
    else:
        a = 0.5 * a * (1 + torch.erf(a / math.sqrt(2)))
    return a @ p["mlp.proj.weight"].T + p["mlp.proj.bias"]


@torch.no_grad()
def block_output(state: Mapping[str, Tensor], x: Tensor, n_heads: int, mistake: str = "") -> Tensor:
    """The pre-LN block on x (B, T, D) from its state dict, in float64, with at most one named mistake."""
    p = {name: t.to(x.device, torch.float64) for name, t in state.items()}
    x = x.to(torch.float64)

    def ln(h: Tensor, which: str) -> Tensor:
        return _layer_norm(h, p[f"{which}.weight"], p[f"{which}.bias"], mistake == UNBIASED_LN)

    def attn(h: Tensor) -> Tensor:
        return _attention(p, h, n_heads, mistake)

    def mlp(h: Tensor) -> Tensor:
        return _mlp(p, h, mistake)

    if mistake == POST_LN:
        x = ln(x + attn(x), "ln_1")
        return ln(x + mlp(x), "ln_2")
    if mistake == RESIDUAL_FROM_NORMED:
        h = ln(x, "ln_1")
        x = h + attn(h)
        h = ln(x, "ln_2")
        return h + mlp(h)
    x = (0 if mistake == NO_ATTN_RESIDUAL else x) + attn(ln(x, "ln_1"))
    return (0 if mistake == NO_MLP_RESIDUAL else x) + mlp(ln(x, "ln_1" if mistake == LN_1_TWICE else "ln_2"))


def block_mistakes(state: Mapping[str, Tensor], x: Tensor, n_heads: int) -> dict[str, Tensor]:
    """{description: the float32 output of the block with that mistake}, for every known mistake."""
    everything = [*ATTENTION_MISTAKES, *BLOCK_MISTAKES, *MLP_MISTAKES]
    return {m: block_output(state, x, n_heads, m).to(x.dtype) for m in everything}


def nan_hint(got: Tensor) -> str:
    """Name the mistake behind NaN outputs from where they sit along time (dim 1 of [B, T, D])."""
    bad = torch.isnan(got).flatten(start_dim=2).any(dim=-1).any(dim=0)  # (T,)
    T = bad.numel()
    if T > 1 and bool(bad[-1]) and not bool(bad[0]):
        return looks_like(MASK_INVERTED + ": the last query had every key masked")
    if T > 1 and bool(bad[0]) and not bool(bad[-1]):
        return looks_like(MASK_NO_DIAG)
    return ""


def state_dict_hints(
    expected: Mapping[str, tuple[int, ...]], got: Mapping[str, tuple[int, ...]], buffers: set[str]
) -> str:
    """Name the known mistakes behind a state dict whose keys or shapes differ from the reference's."""
    missing, extra = set(expected) - set(got), set(got) - set(expected)
    hints = []
    if extra & buffers:
        hints.append(PERSISTENT_BUFFER)
    if any(part in key for key in extra for part in ("c_attn", "c_fc", "c_proj")):
        hints.append(HF_NAMES)
    attn_weights = [k for k in extra if k.startswith("attn.") and k.endswith("weight") and "c_attn" not in k]
    if "attn.qkv.weight" in missing and len(attn_weights) >= 3:  # a weight each for q, k and v
        hints.append(SEPARATE_QKV)
    if any(key.endswith(".bias") and key[: -len("bias")] + "weight" in got for key in missing):
        hints.append(NO_BIAS)
    if any(got.get(k) == tuple(reversed(s)) and len(s) == 2 and s[0] != s[1] for k, s in expected.items()):
        hints.append(TRANSPOSED_WEIGHT)
    return "".join(looks_like(h) for h in hints)
