"""Autograder for lab 19 (decoder_only): the causal mask and a pre-LN GPT block, against labs.reference.DecoderBlock."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from labs.decoder_only import mistakes
from labs.grading import assert_close, looks_like, reference, require, seeded, seeded_many
from labs.reference import DecoderBlock as ReferenceBlock

# (B, T, d_model, n_heads, d_ff): head size differs from d_model, T differs from every feature size.
SHAPES = [(2, 7, 16, 4, 40), (3, 10, 24, 2, 64), (2, 5, 12, 3, 20), (1, 1, 16, 4, 32), (2, 6, 8, 1, 24)]
B, T, D, H, DFF = SHAPES[0]


def reference_block(d_model: int, n_heads: int, d_ff: int, seed: int, qk_gain: float = 1.5) -> ReferenceBlock:
    """The reference block on the CPU with seeded weights: LayerNorm gains and biases, Linear biases all matter.

    Weights are N(0, 1 / fan_in) (q and k times `qk_gain`), so the attention is neither uniform nor one-hot and
    the MLP's inputs reach the range where the GELU variants differ.
    """
    block = ReferenceBlock(d_model, n_heads, d_ff)
    state = block.state_dict()
    values = seeded_many([tuple(t.shape) for t in state.values()], seed)
    with torch.no_grad():
        for (name, param), value in zip(state.items(), values, strict=True):
            if name.startswith("ln_"):
                param.copy_((1.0 + 0.3 * value) if name.endswith("weight") else 0.3 * value)
            elif name.endswith("bias"):
                param.copy_(0.2 * value)
            else:
                param.copy_(value / param.size(1) ** 0.5)
        block.attn.qkv.weight[: 2 * d_model] *= qk_gain
    return block.eval()


def learner_block(lab: Any, ref: ReferenceBlock, device: torch.device) -> nn.Module:
    """The learner's block with the reference's weights loaded, in eval mode, on `device`.

    Every reference weight must load into a parameter of the learner's; an extra buffer is reported by
    test_state_dict_has_the_reference_keys_and_shapes alone, so that the other tests still grade the arithmetic.
    """
    d_model, d_ff = ref.attn.proj.in_features, ref.mlp.fc.out_features
    block = lab.DecoderBlock(d_model, ref.attn.n_heads, d_ff)
    require(isinstance(block, nn.Module), f"DecoderBlock must be an nn.Module, got {type(block).__name__}")
    try:
        result = block.load_state_dict(ref.state_dict(), strict=False)
    except RuntimeError as exc:
        error = str(exc)
    else:
        params = dict(block.named_parameters())
        unfilled = [key for key in result.missing_keys if key in params]  # an extra buffer is tolerated here
        error = "; ".join(part for part in (
            f"{len(result.unexpected_keys)} of its weights fit nowhere in your block" if result.unexpected_keys else "",
            f"{len(unfilled)} of your parameters get no weight from it" if unfilled else "",
        ) if part)  # fmt: skip
    if error:
        pytest.fail(
            f"labs.reference.DecoderBlock's state_dict does not load into your block: {error} (the names are in "
            "test_state_dict_has_the_reference_keys_and_shapes)",
            pytrace=False,
        )
    return block.to(device).eval()


def expected_output(ref: ReferenceBlock, x: Tensor) -> Tensor:
    """The reference block's output for x, computed in float64, as float32 on x's device."""
    with reference(), torch.no_grad():
        ref64 = copy.deepcopy(ref).to(x.device, torch.float64)
        return ref64(x.to(torch.float64)).to(x.dtype)


def inputs(shape: tuple[int, int, int], seed: int, device: torch.device) -> Tensor:
    """A residual stream x [B, T, D] with a non-zero mean and scale, so both LayerNorm steps matter."""
    return seeded(shape, seed, device, scale=2.0) + 0.5


def check_finite(got: Any, name: str, hint: str = "") -> None:
    """A tensor without NaN or inf; the message names the mistake that NaNs point to."""
    require(isinstance(got, Tensor), f"{name}: expected a torch.Tensor, got {type(got).__name__}")
    if not bool(torch.isfinite(got).all()):
        bad = int((~torch.isfinite(got)).sum())
        raise AssertionError(f"{name}: {bad} of {got.numel()} values are NaN or inf{hint or mistakes.nan_hint(got)}")


def run(block: nn.Module, x: Tensor, name: str) -> Tensor:
    """block(x) without autograd, checked to be a finite tensor."""
    with torch.no_grad():
        got = block(x)
    check_finite(got, name)
    return got


# ----------------------------------------------------------------------------------------------- the mask


@pytest.mark.parametrize("T", [1, 2, 5, 8])
def test_causal_mask_is_the_lower_triangle_with_the_diagonal(lab: Any, device: torch.device, T: int) -> None:
    got = lab.causal_mask(T)
    require(isinstance(got, Tensor), f"causal_mask({T}) returned {type(got).__name__}, not a Tensor")
    require(
        got.dtype == torch.bool,
        f"causal_mask({T}) has dtype {got.dtype}: return a bool mask, True where query i may attend key j "
        "(an additive 0 / -inf mask is what you build from it inside attention)",
    )
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    expected = (j <= i).to(device)  # row i is query i, column j key j: keys 0..i are visible
    wrong = {description: mask.to(device) for description, mask in mistakes.causal_mask_mistakes(T).items()}
    assert_close(got.to(device), expected, name=f"causal_mask({T})", mistakes=wrong)


# ------------------------------------------------------------------------------------------ the parameters


def test_state_dict_has_the_reference_keys_and_shapes(lab: Any) -> None:
    ref = ReferenceBlock(D, H, DFF)
    block = lab.DecoderBlock(D, H, DFF)
    require(isinstance(block, nn.Module), f"DecoderBlock must be an nn.Module, got {type(block).__name__}")
    expected = {name: tuple(t.shape) for name, t in ref.state_dict().items()}
    got = {name: tuple(t.shape) for name, t in block.state_dict().items()}
    if got == expected:
        return
    buffers = {name for name, _ in block.named_buffers()}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    shapes = {k: f"{list(got[k])} (expected {list(s)})" for k, s in expected.items() if k in got and got[k] != s}
    details = "; ".join(
        part for part in (
            f"missing keys {missing}" if missing else "",
            f"unexpected keys {extra}" if extra else "",
            f"wrong shapes {shapes}" if shapes else "",
        ) if part
    )  # fmt: skip
    raise AssertionError(
        f"DecoderBlock({D}, {H}, {DFF}).state_dict() differs from labs.reference.DecoderBlock's: {details}. "
        f"The reference has {sorted(expected)}."
        + mistakes.state_dict_hints(expected, got, buffers)
    )


# ------------------------------------------------------------------------------------------------ outputs


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}-T{}-D{}-H{}-F{}".format(*s))
def test_output_matches_reference_block(lab: Any, device: torch.device, shape: tuple[int, ...]) -> None:
    b, t, d, h, f = shape
    ref = reference_block(d, h, f, seed=d + t)
    x = inputs((b, t, d), seed=t, device=device)
    expected = expected_output(ref, x)
    got = run(learner_block(lab, ref, device), x, "DecoderBlock output")
    assert_close(got, expected, name=f"DecoderBlock({d}, {h}, {f}) output for x [{b}, {t}, {d}]",
                 mistakes=lambda: mistakes.block_mistakes(ref.state_dict(), x, h))  # fmt: skip


def test_attention_branch_alone_matches_reference(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=1)
    with torch.no_grad():  # the MLP adds nothing: the output is x + attn(ln_1(x))
        ref.mlp.proj.weight.zero_()
        ref.mlp.proj.bias.zero_()
    x = inputs((B, T, D), seed=2, device=device)
    expected = expected_output(ref, x)
    got = run(learner_block(lab, ref, device), x, "x + attn(ln_1(x))")
    assert_close(got, expected, name="x + attn(ln_1(x)) (mlp.proj set to zero)",
                 mistakes=lambda: mistakes.block_mistakes(ref.state_dict(), x, H))  # fmt: skip


def test_mlp_branch_alone_uses_exact_gelu(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=3)
    with torch.no_grad():  # attention adds nothing: the output is x + mlp(ln_2(x))
        ref.attn.proj.weight.zero_()
        ref.attn.proj.bias.zero_()
        ref.mlp.fc.weight *= 2.0  # pre-activations of several units: tanh-GELU and erf-GELU differ there
    x = inputs((B, T, D), seed=4, device=device)
    expected = expected_output(ref, x)
    got = run(learner_block(lab, ref, device), x, "x + mlp(ln_2(x))")
    assert_close(got, expected, name="x + mlp(ln_2(x)) (attn.proj set to zero)",
                 mistakes=lambda: mistakes.block_mistakes(ref.state_dict(), x, H))  # fmt: skip


def test_output_is_finite_and_right_for_large_scores(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=5, qk_gain=12.0)
    x = inputs((B, T, D), seed=6, device=device)
    with reference(), torch.no_grad():
        ln = ref.ln_1(x.cpu())
        q, k, _ = ref.attn.qkv(ln).split(D, dim=-1)
        top = float((q.view(B, T, H, -1) * k.view(B, T, H, -1)).sum(-1).abs().max()) / (D // H) ** 0.5
    require(top > 150, "grader fixture: some attention score should be large enough to overflow exp in float32")
    expected = expected_output(ref, x)
    block = learner_block(lab, ref, device)
    with torch.no_grad():
        got = block(x)
        if isinstance(got, Tensor) and not bool(torch.isfinite(got).all()):
            block.attn.qkv.weight[: 2 * D] /= 12.0  # the usual scores: finite there means the softmax overflows
            small = block(x)
            hint = looks_like(mistakes.UNSTABLE) if bool(torch.isfinite(small).all()) else mistakes.nan_hint(got)
            check_finite(got, "DecoderBlock output with attention scores in the hundreds", hint)
    assert_close(got, expected, name="DecoderBlock output with attention scores in the hundreds",
                 atol=1e-4, rtol=1e-4, mistakes=lambda: mistakes.block_mistakes(ref.state_dict(), x, H))  # fmt: skip


# ---------------------------------------------------------------------------------------------- causality


@pytest.mark.parametrize("t", [1, 3, T - 1])
def test_future_tokens_do_not_change_earlier_outputs(lab: Any, device: torch.device, t: int) -> None:
    ref = reference_block(D, H, DFF, seed=7)
    block = learner_block(lab, ref, device)
    x = inputs((B, T, D), seed=8, device=device)
    changed = x.clone()
    changed[:, t:] = inputs((B, T - t, D), seed=9, device=device)  # new tokens from position t on
    before, after = run(block, x, "DecoderBlock output"), run(block, changed, "DecoderBlock output")
    moved = (after[:, :t] - before[:, :t]).abs().amax(dim=(0, 2))  # (t,): the largest change at each position
    if bool((moved > 1e-5).any()):
        leaky = [p for p in range(t) if float(moved[p]) > 1e-5]
        hint = looks_like(mistakes.NO_MASK) if bool((moved > 1e-5).all()) else ""
        raise AssertionError(
            f"changing only the tokens at positions >= {t} changed the outputs at positions {leaky} "
            f"(by up to {float(moved.max()):.3g}): each output may depend only on its own and earlier tokens{hint}"
        )


def test_every_position_sees_the_first_token(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=10)
    x = inputs((B, T, D), seed=11, device=device)
    changed = x.clone()
    changed[:, 0] = inputs((B, 1, D), seed=12, device=device)[:, 0]
    with reference():
        floor = float((expected_output(ref, changed) - expected_output(ref, x)).abs().amax(dim=(0, 2)).min())
    require(floor > 1e-2, "grader fixture: token 0 should move every reference output")
    block = learner_block(lab, ref, device)
    moved = (run(block, changed, "DecoderBlock output") - run(block, x, "DecoderBlock output")).abs()
    blind = [p for p in range(T) if float(moved[:, p].max()) < 1e-4]
    require(
        not blind,
        f"changing token 0 left the outputs at positions {blind} unchanged: causal attention lets every position "
        "see keys 0..t, so token 0 reaches them all (is the mask hiding too much, e.g. all but the diagonal?)",
    )


def test_a_prefix_gives_the_same_outputs_as_the_full_sequence(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=13)
    block = learner_block(lab, ref, device)
    x = inputs((B, T, D), seed=14, device=device)
    full = run(block, x, "DecoderBlock output")
    for t in (T - 3, 1):  # shorter sequences through the same block: a mask cached for one T must not leak
        name = f"block(x[:, :{t}]) against block(x)[:, :{t}] (a causal block cannot tell them apart)"
        assert_close(run(block, x[:, :t], "DecoderBlock output"), full[:, :t], name=name)


# ---------------------------------------------------------------------------------------- gradients, input


def test_gradients_match_reference(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=15)
    block = learner_block(lab, ref, device)
    x, upstream = seeded_many([(B, T, D), (B, T, D)], 16, device)
    x_leaf = x.clone().requires_grad_()
    (block(x_leaf) * upstream).sum().backward()
    with reference():
        ref64 = copy.deepcopy(ref).to(device, torch.float64)
        x64 = x.to(torch.float64).requires_grad_()
        (ref64(x64) * upstream.to(torch.float64)).sum().backward()
    params = dict(block.named_parameters())
    require(x_leaf.grad is not None, "no gradient reached the input x: does forward run under torch.no_grad()?")
    assert_close(x_leaf.grad, x64.grad.to(x.dtype), name="gradient with respect to x", atol=1e-4, rtol=1e-4)
    for name, p64 in ref64.named_parameters():
        grad = params[name].grad if name in params else None
        require(grad is not None, f"no gradient reached parameter {name}: is it used in forward, and not detached?")
        assert_close(grad, p64.grad.to(x.dtype), name=f"gradient with respect to {name}", atol=1e-4, rtol=1e-4)


def test_forward_leaves_its_input_unchanged(lab: Any, device: torch.device) -> None:
    ref = reference_block(D, H, DFF, seed=17)
    x = inputs((B, T, D), seed=18, device=device)
    before = x.clone()
    learner_block(lab, ref, device)(x)
    require(
        torch.equal(x, before),
        "forward changed its input x in place (x += ... or x.add_(...) writes into the caller's tensor): "
        "write x = x + attn(ln_1(x)), which makes a new tensor",
    )
