"""Autograder for lab 4: split_heads, merge_heads and MultiHeadAttention, against nn.MultiheadAttention."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from labs.grading import Mistakes, assert_close, generator, looks_like, reference, seeded, seeded_many
from labs.multi_head_attention import mistakes
from labs.multi_head_attention.mistakes import Weights

# (B, T, D, H): several heads, three heads, heads of width 1, one head, an odd head width.
SPLIT_CASES = [(2, 5, 24, 4), (1, 7, 12, 3), (3, 4, 8, 8), (2, 6, 16, 1), (2, 3, 30, 10)]
# (d_model, n_heads, T, bias)
SELF_CASES = [(32, 4, 6, True), (24, 3, 5, True), (16, 1, 5, True), (16, 16, 4, True), (24, 8, 7, True),
              (32, 4, 6, False)]  # fmt: skip
PROJECTIONS = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "out": "out_proj"}
B, T, S, D, H = 2, 6, 9, 32, 4  # the shapes of the mask and cross-attention tests


# ------------------------------------------------------------------------------------------ building blocks


def require(condition: bool, message: str) -> None:
    """Fail with `message` (and no assertion introspection) unless `condition` holds."""
    if not condition:
        raise AssertionError(message)


def call(fn: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
    """Run learner code; a `.view` on a transposed tensor becomes a failure that names the mistake."""
    try:
        return fn(*args, **kwargs)
    except RuntimeError as exc:
        if "view size is not compatible" not in str(exc):
            raise
        raise AssertionError(f"{what} raised RuntimeError: {exc}{looks_like(mistakes.MERGE_VIEW)}") from None


def require_tensor(got: Any, name: str) -> None:
    """Fail unless the answer is a Tensor; a tuple gets its own explanation."""
    if isinstance(got, tuple):
        raise AssertionError(
            f"{name}: expected a Tensor, got a tuple of {len(got)}: return only the output, not (output, weights) "
            "as nn.MultiheadAttention does"
        )
    require(isinstance(got, Tensor), f"{name}: expected a Tensor, got {type(got).__name__}")


def check(got: Any, expected: Tensor, *, name: str, known: Mistakes = None, **tol: float) -> None:
    """assert_close, plus a pointer at the mask when the answer has NaN (every test mask leaves a key per row)."""
    require_tensor(got, name)
    try:
        assert_close(got, expected, name=name, mistakes=known, **tol)
    except AssertionError as exc:
        if isinstance(got, Tensor) and bool(torch.isnan(got).any()) and "This looks like" not in str(exc):
            raise AssertionError(
                f"{exc}\nNaN means some query row had every score at -inf: every mask the tests pass keeps at "
                "least one key per query, so check the mask's polarity (True = may attend)."
            ) from None
        raise


def make_weights(d_model: int, bias: bool, seed: int, device: torch.device, *, gain: float = 1.3) -> Weights:
    """Seeded weights [D, D] and biases [D] of the four projections; scores come out of order 1 to 10."""
    drawn = seeded_many([(d_model, d_model), (d_model,)] * 4, seed, device)
    return {
        name: (drawn[2 * i] * (gain / math.sqrt(d_model)), drawn[2 * i + 1] * 0.5 if bias else None)
        for i, name in enumerate(PROJECTIONS)
    }


def projection(module: nn.Module, attr: str, d_model: int) -> nn.Linear:
    """The learner's projection `attr`, checked to be an nn.Linear(d_model, d_model)."""
    layer = getattr(module, attr, None)
    require(isinstance(layer, nn.Linear),
            f"MultiHeadAttention needs `{attr}`, an nn.Linear(d_model, d_model, bias); got {type(layer).__name__}")
    if (layer.in_features, layer.out_features) != (d_model, d_model):
        narrow = layer.out_features < d_model and layer.in_features == d_model
        raise AssertionError(
            f"{attr} is nn.Linear({layer.in_features}, {layer.out_features}), expected nn.Linear({d_model}, "
            f"{d_model})" + (": one projection serves all heads at once (each head is a slice of its output)"
                             if narrow else "")
        )
    return layer


def learner_module(lab: Any, weights: Weights, n_heads: int, device: torch.device) -> nn.Module:
    """The learner's MultiHeadAttention with the given weights copied in, on `device`, in eval mode."""
    d_model = weights["q"][0].shape[0]
    bias = weights["q"][1] is not None
    module = lab.MultiHeadAttention(d_model, n_heads, bias=bias)
    require(isinstance(module, nn.Module), f"MultiHeadAttention must be an nn.Module, got {type(module).__name__}")
    for name, attr in PROJECTIONS.items():
        layer = projection(module, attr, d_model)
        weight, b = weights[name]
        require((layer.bias is not None) == bias, f"MultiHeadAttention(..., bias={bias}): {attr} "
                f"{'has no' if bias else 'has a'} bias; each projection is nn.Linear(d_model, d_model, bias)")
        with torch.no_grad():
            layer.weight.copy_(weight)
            if b is not None:
                layer.bias.copy_(b)
    return module.to(device).eval()


def oracle(weights: Weights, n_heads: int, dtype: torch.dtype = torch.float32) -> nn.MultiheadAttention:
    """PyTorch's nn.MultiheadAttention (batch_first) with the same weights: q, k, v stacked in in_proj."""
    d_model = weights["q"][0].shape[0]
    bias = weights["q"][1] is not None
    device = weights["q"][0].device
    with reference():
        module = nn.MultiheadAttention(d_model, n_heads, bias=bias, batch_first=True)
    module = module.to(device=device, dtype=dtype)
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.cat([weights[n][0] for n in "qkv"]))
        module.out_proj.weight.copy_(weights["out"][0])
        if bias:
            module.in_proj_bias.copy_(torch.cat([weights[n][1] for n in "qkv"]))  # type: ignore[misc]
            module.out_proj.bias.copy_(weights["out"][1])  # type: ignore[arg-type]
    return module  # training mode, dropout 0: the plain (non-fused) path of F.multi_head_attention_forward


def expected_output(
    module: nn.MultiheadAttention, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None
) -> Tensor:
    """nn.MultiheadAttention's output; its attn_mask says True = blocked, one [T, S] slice per batch and head."""
    source = x if context is None else context
    b, t, s = x.shape[0], x.shape[1], source.shape[1]
    attn_mask = None if mask is None else ~mask.expand(b, module.num_heads, t, s).reshape(-1, t, s)
    with reference():
        out, _ = module(x, source, source, attn_mask=attn_mask, need_weights=True)
    return out


def keep_mask(shape: tuple[int, ...], seed: int) -> Tensor:
    """A random boolean mask on the CPU; every query row keeps at least one key and drops at least one."""
    keep = torch.rand(shape, generator=generator(seed)) < 0.5
    t, s = shape[-2:]
    rows = torch.arange(t)
    keep[..., rows, rows % s] = True
    keep[..., rows, (rows + 1) % s] = False
    return keep


def padding_mask(lengths: list[int], s: int) -> Tensor:
    """Key padding [B, 1, 1, S]: batch row b keeps its first lengths[b] keys."""
    return (torch.arange(s)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


SELF_MASKS: dict[str, Callable[[], Tensor]] = {
    "causal [T, T]": lambda: torch.ones(T, T, dtype=torch.bool).tril(),
    "random [T, T]": lambda: keep_mask((T, T), 1),
    "random [B, 1, T, T]": lambda: keep_mask((B, 1, T, T), 2),
    "one per head [B, H, T, T]": lambda: keep_mask((B, H, T, T), 3),
    "key padding [B, 1, 1, T]": lambda: padding_mask([T, T - 2], T),
    "random [1, 1, T, T]": lambda: keep_mask((1, 1, T, T), 4),
}
CROSS_MASKS: dict[str, Callable[[], Tensor]] = {
    "key padding [B, 1, 1, S]": lambda: padding_mask([S - 3, S], S),
    "random [T, S]": lambda: keep_mask((T, S), 5),
    "one per head [B, H, T, S]": lambda: keep_mask((B, H, T, S), 6),
}


def run_forward(
    module: nn.Module, x: Tensor, mask: Tensor | None = None, context: Tensor | None = None, *, copies: bool = True
) -> Any:
    """The learner's forward (the contract's keyword names), on copies of the inputs unless `copies=False`."""
    if copies:
        x, mask, context = (None if t is None else t.clone() for t in (x, mask, context))
    return call(module, x, mask=mask, context=context, what="MultiHeadAttention.forward")


# ----------------------------------------------------------------------------------- split and merge heads


@pytest.mark.parametrize(("b", "t", "d", "h"), SPLIT_CASES)
def test_split_heads_gives_each_head_a_contiguous_slice_of_features(
    lab: Any, device: torch.device, b: int, t: int, d: int, h: int
) -> None:
    x = seeded((b, t, d), seed=b * 100 + d, device=device)
    dh = d // h
    expected = torch.stack([x[:, :, i * dh : (i + 1) * dh] for i in range(h)], dim=1)  # head i: features i*dh..
    got = call(lab.split_heads, x, h, what="split_heads")
    check(got, expected, name=f"split_heads(x [{b}, {t}, {d}], n_heads={h}) -> [B, H, T, D // H]",
          known=lambda: mistakes.split_mistakes(x, h))  # fmt: skip


@pytest.mark.parametrize(("b", "t", "d", "h"), SPLIT_CASES)
def test_merge_heads_puts_the_heads_side_by_side(lab: Any, device: torch.device, b: int, t: int, d: int, h: int) -> None:
    y = seeded((b, h, t, d // h), seed=b * 100 + d + 1, device=device)  # contiguous, as attention's output is
    expected = torch.cat([y[:, i] for i in range(h)], dim=-1)  # head 0's features first
    got = call(lab.merge_heads, y, what="merge_heads")
    check(got, expected, name=f"merge_heads(x [{b}, {h}, {t}, {d // h}]) -> [B, T, H * dh]",
          known=lambda: mistakes.merge_mistakes(y))  # fmt: skip


def test_merge_heads_undoes_split_heads(lab: Any, device: torch.device) -> None:
    x = seeded((2, 5, 24), seed=7, device=device)
    heads = call(lab.split_heads, x, 4, what="split_heads")
    require(isinstance(heads, Tensor) and heads.shape == (2, 4, 5, 6),
            f"split_heads(x [2, 5, 24], n_heads=4) should be [2, 4, 5, 6], got {getattr(heads, 'shape', heads)}")
    check(call(lab.merge_heads, heads, what="merge_heads"), x, name="merge_heads(split_heads(x, 4))")
    y = seeded((2, 4, 5, 6), seed=8, device=device)
    check(call(lab.split_heads, call(lab.merge_heads, y, what="merge_heads"), 4, what="split_heads"), y,
          name="split_heads(merge_heads(y), 4)")  # fmt: skip


# ------------------------------------------------------------------------------------------------ structure


@pytest.mark.parametrize("bias", [None, True, False])
def test_projections_are_four_linear_layers_of_width_d_model(lab: Any, device: torch.device, bias: bool | None) -> None:
    d_model, n_heads = 24, 3
    module = lab.MultiHeadAttention(d_model, n_heads) if bias is None else lab.MultiHeadAttention(d_model, n_heads, bias=bias)
    require(isinstance(module, nn.Module), f"MultiHeadAttention must be an nn.Module, got {type(module).__name__}")
    registered = {id(p) for p in module.parameters()}
    for attr in PROJECTIONS.values():
        layer = projection(module, attr, d_model)
        want = bias is not False
        require((layer.bias is not None) == want,
                f"MultiHeadAttention({d_model}, {n_heads}{'' if bias is None else f', bias={bias}'}): {attr} "
                f"{'has no' if want else 'has a'} bias; each projection is nn.Linear(d_model, d_model, bias)"
                + (", and bias defaults to True" if bias is None else ""))
        require(id(layer.weight) in registered, f"{attr}.weight is not among module.parameters()")


# ------------------------------------------------------------------------------------------- self-attention


@pytest.mark.parametrize(("d_model", "n_heads", "t", "bias"), SELF_CASES)
def test_self_attention_matches_nn_multihead_attention(
    lab: Any, device: torch.device, d_model: int, n_heads: int, t: int, bias: bool
) -> None:
    weights = make_weights(d_model, bias, seed=d_model + n_heads, device=device)
    x = seeded((2, t, d_model), seed=10 + d_model, device=device)
    got = run_forward(learner_module(lab, weights, n_heads, device), x)
    check(got, expected_output(oracle(weights, n_heads), x),
          name=f"MultiHeadAttention({d_model}, {n_heads}, bias={bias}) on x [2, {t}, {d_model}] (no mask)",
          known=lambda: mistakes.forward_mistakes(x, weights, n_heads))  # fmt: skip


@pytest.mark.parametrize("kind", list(SELF_MASKS))
def test_masked_self_attention_matches_nn_multihead_attention(lab: Any, device: torch.device, kind: str) -> None:
    weights = make_weights(D, True, seed=20, device=device)
    x = seeded((B, T, D), seed=21, device=device)
    mask = SELF_MASKS[kind]().to(device)
    got = run_forward(learner_module(lab, weights, H, device), x, mask=mask)
    check(got, expected_output(oracle(weights, H), x, mask),
          name=f"MultiHeadAttention({D}, {H}) with a {kind} mask (True = may attend)",
          known=lambda: mistakes.forward_mistakes(x, weights, H, mask))  # fmt: skip


def test_scores_are_stable_for_large_values(lab: Any, device: torch.device) -> None:
    # Large query and key biases push every score to about 180: exp overflows float32 (past 88) unless each
    # row's maximum is subtracted first. The expected value comes from float64, the tolerance from float32
    # rounding of scores that large (about 2e-5 each).
    weights = make_weights(D, True, seed=30, device=device)
    for name in "qk":
        w, b = weights[name]
        weights[name] = (w, b + 8.0)  # type: ignore[operator]
    x = seeded((B, T, D), seed=31, device=device)
    weights64 = {n: (w.double(), None if b is None else b.double()) for n, (w, b) in weights.items()}
    expected = expected_output(oracle(weights64, H, torch.float64), x.double()).float()
    got = run_forward(learner_module(lab, weights, H, device), x)
    require_tensor(got, "MultiHeadAttention.forward")
    if not bool(torch.isfinite(got).all()):
        raise AssertionError(
            "MultiHeadAttention gives inf or NaN when the scores are about 180" + looks_like(mistakes.UNSTABLE)
        )
    check(got, expected, name=f"MultiHeadAttention({D}, {H}) with scores near 180", atol=2e-4, rtol=1e-4,
          known=lambda: mistakes.forward_mistakes(x, weights, H))  # fmt: skip


# ------------------------------------------------------------------------------------------ cross-attention


@pytest.mark.parametrize("s", [S, T])
def test_cross_attention_matches_nn_multihead_attention(lab: Any, device: torch.device, s: int) -> None:
    weights = make_weights(D, True, seed=40 + s, device=device)
    x, context = seeded_many([(B, T, D), (B, s, D)], seed=41 + s, device=device)
    got = run_forward(learner_module(lab, weights, H, device), x, context=context)
    check(got, expected_output(oracle(weights, H), x, context=context),
          name=f"cross-attention: x [{B}, {T}, {D}] attends to context [{B}, {s}, {D}]",
          known=lambda: mistakes.forward_mistakes(x, weights, H, context=context))  # fmt: skip


@pytest.mark.parametrize("kind", list(CROSS_MASKS))
def test_masked_cross_attention_matches_nn_multihead_attention(lab: Any, device: torch.device, kind: str) -> None:
    weights = make_weights(D, True, seed=50, device=device)
    x, context = seeded_many([(B, T, D), (B, S, D)], seed=51, device=device)
    mask = CROSS_MASKS[kind]().to(device)
    got = run_forward(learner_module(lab, weights, H, device), x, mask=mask, context=context)
    check(got, expected_output(oracle(weights, H), x, mask, context),
          name=f"cross-attention (T={T}, S={S}) with a {kind} mask",
          known=lambda: mistakes.forward_mistakes(x, weights, H, mask, context))  # fmt: skip


def test_masked_context_positions_have_no_influence(lab: Any, device: torch.device) -> None:
    weights = make_weights(D, True, seed=60, device=device)
    x, context = seeded_many([(B, T, D), (B, S, D)], seed=61, device=device)
    mask = padding_mask([S - 4, S], S).to(device)  # batch row 0 pads its last 4 context positions
    changed = context.clone()
    changed[0, S - 4 :] = seeded((4, D), seed=62, device=device, scale=50.0)
    module = learner_module(lab, weights, H, device)
    before = run_forward(module, x, mask=mask, context=context)
    after = run_forward(module, x, mask=mask, context=changed)
    check(after, before if isinstance(before, Tensor) else torch.zeros(B, T, D, device=device),
          name="output after changing only masked context positions (it must not change)",
          known=lambda: mistakes.forward_mistakes(x, weights, H, mask, changed))  # fmt: skip


# ----------------------------------------------------------------------------------- gradients and inputs


def test_gradients_match_nn_multihead_attention(lab: Any, device: torch.device) -> None:
    weights = make_weights(D, True, seed=70, device=device)
    x, context, upstream = seeded_many([(B, T, D), (B, S, D), (B, T, D)], seed=71, device=device)
    mask = CROSS_MASKS["random [T, S]"]().to(device)
    module = learner_module(lab, weights, H, device)
    x_in, ctx_in = x.clone().requires_grad_(), context.clone().requires_grad_()
    out = run_forward(module, x_in, mask=mask, context=ctx_in)
    require_tensor(out, "MultiHeadAttention.forward")
    require(out.requires_grad,
            "MultiHeadAttention's output does not require grad: it must stay differentiable in x, context and the "
            "projections (no torch.no_grad(), .detach(), .data or .item() on the way)")
    params = {f"{attr}.{p}": getattr(getattr(module, attr), p) for attr in PROJECTIONS.values() for p in ("weight", "bias")}
    got = torch.autograd.grad((out * upstream).sum(), [x_in, ctx_in, *params.values()], allow_unused=True)
    ref = oracle(weights, H)
    x_ref, ctx_ref = x.clone().requires_grad_(), context.clone().requires_grad_()
    with reference():
        ref_out = expected_output(ref, x_ref, mask, ctx_ref)
        grads = torch.autograd.grad((ref_out * upstream).sum(), [x_ref, ctx_ref, ref.in_proj_weight,
                                                                 ref.in_proj_bias, ref.out_proj.weight, ref.out_proj.bias])  # fmt: skip
    d_x, d_ctx, d_in_w, d_in_b, d_out_w, d_out_b = grads
    expected = {"x": d_x, "context": d_ctx}
    for i, attr in enumerate(("q_proj", "k_proj", "v_proj")):
        expected[f"{attr}.weight"], expected[f"{attr}.bias"] = d_in_w[i * D : (i + 1) * D], d_in_b[i * D : (i + 1) * D]
    expected["out_proj.weight"], expected["out_proj.bias"] = d_out_w, d_out_b
    for name, g in zip(["x", "context", *params], got, strict=True):
        require(g is not None, f"no gradient reached {name}: the output does not depend on it")
        check(g, expected[name], name=f"gradient with respect to {name}", atol=1e-5, rtol=1e-4)


def test_forward_leaves_its_inputs_unchanged(lab: Any, device: torch.device) -> None:
    weights = make_weights(D, True, seed=80, device=device)
    x, context = seeded_many([(B, T, D), (B, S, D)], seed=81, device=device)
    mask = CROSS_MASKS["random [T, S]"]().to(device)
    kept = {"x": x.clone(), "context": context.clone(), "mask": mask.clone()}
    module = learner_module(lab, weights, H, device)
    first = run_forward(module, x, mask=mask, context=context, copies=False)
    for name, given in {"x": x, "context": context, "mask": mask}.items():
        require(torch.equal(given, kept[name]),
                f"MultiHeadAttention.forward changed the {name} passed to it: an in-place operation (a method "
                "ending in _, such as logical_not_ or masked_fill_, or +=) on an input; work on a new tensor")
    check(run_forward(module, x, mask=mask, context=context), first, name="a second forward on the same inputs")
