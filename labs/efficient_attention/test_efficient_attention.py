"""Autograder for lab 2 (efficient_attention): naive masked attention, online-softmax attention, the FLOPs count."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from labs.efficient_attention import mistakes
from labs.efficient_attention.mistakes import attend, causal_mask
from labs.grading import assert_close, assert_count, generator, looks_like, seeded, seeded_many, time_limit
from labs.grading.memory import TensorRecorder

# (B, H, Tq, Tk, d): all different, so a wrong axis changes the shape or the values.
NAIVE_SHAPES = [
    pytest.param((2, 3, 6, 6, 8), id="square"),
    pytest.param((2, 2, 5, 11, 16), id="Tq<Tk"),
    pytest.param((1, 3, 1, 9, 4), id="one_query"),
]
# (B, H, Tq, Tk, d, block_size): blocks that divide Tk, that do not, of one key, of all keys, wider than Tk.
ONLINE_CASES = [
    pytest.param((2, 3, 12, 40, 8, 8), id="Tk40_block8"),
    pytest.param((2, 2, 9, 37, 16, 8), id="Tk37_block8"),
    pytest.param((1, 3, 7, 23, 8, 1), id="Tk23_block1"),
    pytest.param((2, 2, 10, 30, 8, 30), id="Tk30_block30"),
    pytest.param((1, 2, 6, 19, 4, 64), id="Tk19_block64"),
    pytest.param((2, 2, 33, 33, 8, 5), id="Tk33_block5"),
]
# (B, H, Tq, Tk, d, block_size) with causal=True: square, queries at the end of a cache, one decoding query.
CAUSAL_CASES = [
    pytest.param((2, 2, 24, 24, 8, 7), id="Tq24_Tk24_block7"),
    pytest.param((2, 3, 5, 29, 8, 8), id="Tq5_Tk29_block8"),
    pytest.param((1, 2, 9, 40, 16, 6), id="Tq9_Tk40_block6"),
    pytest.param((2, 2, 1, 21, 8, 8), id="Tq1_Tk21_block8"),
    pytest.param((1, 2, 16, 48, 4, 16), id="Tq16_Tk48_block16"),
]
LARGE_TOL = {"atol": 2e-3, "rtol": 1e-3}  # a score near 1e4 is known to float32 to ~5e-4 (half an ulp)


def qkv(B: int, H: int, Tq: int, Tk: int, d: int, device: torch.device, seed: int) -> list[Tensor]:
    """q [B, H, Tq, d], k and v [B, H, Tk, d], drawn on the CPU from `seed`, then moved to `device`."""
    return seeded_many([(B, H, Tq, d), (B, H, Tk, d), (B, H, Tk, d)], seed, device)


def random_mask(shape: tuple[int, ...], seed: int, device: torch.device) -> Tensor:
    """A random boolean mask with at least one True and one False in every row (first key on, last key off)."""
    mask = torch.rand(shape, generator=generator(seed)) < 0.5
    mask[..., 0], mask[..., -1] = True, False
    return mask.to(device)


def dyadic(shape: tuple[int, ...], seed: int) -> Tensor:
    """Multiples of 1/8 (float32, CPU): products and sums of these stay exact in float32 up to 2^17."""
    return torch.round(torch.randn(shape, generator=generator(seed)) * 8) / 8


def large_score_qkv(device: torch.device, sign: float, jump: bool = False) -> list[Tensor]:
    """q, k, v [2, 2, 9, 70, 16] whose scores q.k / 4 sit near sign * 1e4, spread by a few units per row.

    Feature 0 carries the large part (200 x 200 / 4 = 1e4); the others are multiples of 1/8, so every score is
    exact in float32 whatever the order of the sums. With `jump`, key j's large part grows with j in steps of
    1200, so the running maximum jumps by thousands from one block to the next.
    """
    B, H, Tq, Tk, d = 2, 2, 9, 70, 16
    q, k = dyadic((B, H, Tq, d), 40), dyadic((B, H, Tk, d), 41)
    v = seeded((B, H, Tk, d), 42)
    q[..., 0] = 200.0
    k[..., 0] = 200.0 * sign
    if jump:
        steps = torch.arange(Tk) // 6 + torch.randint(0, 3, (Tk,), generator=generator(43))
        k[..., 0] = 200.0 + 24.0 * steps
    return [t.to(device) for t in (q, k, v)]


def unchanged(lab_call: Callable[[], object], inputs: dict[str, Tensor], function: str) -> None:
    """Call `lab_call` and fail if it changed any of `inputs` in place."""
    before = {name: t.clone() for name, t in inputs.items()}
    lab_call()
    for name, t in inputs.items():
        assert torch.equal(t, before[name]), (
            f"{function} changed its input {name} in place (e.g. q *= scale or q.mul_()): the caller's tensors "
            "must stay as they were; compute new tensors instead"
        )


# --------------------------------------------------------------------------------------- naive attention


@pytest.mark.parametrize("shape", NAIVE_SHAPES)
def test_naive_matches_sdpa_without_mask(lab: Any, device: torch.device, shape: tuple[int, ...]) -> None:
    B, H, Tq, Tk, d = shape
    q, k, v = qkv(*shape, device, seed=1)
    expected = attend(q, k, v)
    got = lab.naive_attention(q, k, v)
    assert_close(got, expected, name=f"naive_attention(q {[B, H, Tq, d]}, k {[B, H, Tk, d]})",
                 mistakes=lambda: mistakes.naive_mistakes(q, k, v, None))  # fmt: skip


@pytest.mark.parametrize("mask_shape", ["[Tq, Tk]", "[B, 1, 1, Tk]", "[1, H, Tq, Tk]", "[B, H, Tq, Tk]"])
def test_naive_matches_sdpa_with_a_mask(lab: Any, device: torch.device, mask_shape: str) -> None:
    B, H, Tq, Tk, d = 2, 3, 5, 11, 8
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=2)
    sizes = {"B": B, "H": H, "Tq": Tq, "Tk": Tk, "1": 1}
    shape = tuple(sizes[s] for s in mask_shape.strip("[]").split(", "))
    mask = random_mask(shape, seed=3, device=device)
    expected = attend(q, k, v, mask)
    got = lab.naive_attention(q, k, v, mask)
    assert_close(got, expected, name=f"naive_attention with a boolean mask of shape {mask_shape}",
                 mistakes=lambda: mistakes.naive_mistakes(q, k, v, mask))  # fmt: skip


def test_naive_mask_true_means_may_attend(lab: Any, device: torch.device) -> None:
    # One True per row: query i may attend key c[i] only, so its output is exactly v[c[i]].
    B, H, Tq, Tk, d = 2, 2, 6, 9, 8
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=4)
    chosen = torch.randint(0, Tk, (Tq,), generator=generator(5))
    mask = torch.zeros(Tq, Tk, dtype=torch.bool)
    mask[torch.arange(Tq), chosen] = True
    mask = mask.to(device)
    expected = v[:, :, chosen.to(device)]
    got = lab.naive_attention(q, k, v, mask)
    assert_close(got, expected,
                 name="naive_attention with one True per mask row (each query sees one key, so its output is that "
                      "key's value)",
                 mistakes=lambda: mistakes.naive_mistakes(q, k, v, mask))  # fmt: skip


def test_naive_masked_keys_get_no_weight(lab: Any, device: torch.device) -> None:
    # A key-padding mask hides the last 4 keys; making them huge must not change the output at all.
    B, H, Tq, Tk, d = 2, 2, 5, 10, 8
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=6)
    mask = torch.ones(B, 1, 1, Tk, dtype=torch.bool)
    mask[..., -4:] = False
    mask = mask.to(device)
    k2, v2 = k.clone(), v.clone()
    k2[..., -4:, :] = 20.0
    v2[..., -4:, :] = 100.0
    expected = attend(q, k, v, mask)
    got = lab.naive_attention(q, k2, v2, mask)
    assert_close(got, expected,
                 name="naive_attention after the masked keys and values were changed (masked keys must get exactly "
                      "zero weight)",
                 mistakes=lambda: mistakes.naive_mistakes(q, k2, v2, mask))  # fmt: skip


def test_naive_leaves_its_inputs_unchanged(lab: Any, device: torch.device) -> None:
    q, k, v = qkv(2, 2, 5, 7, 8, device, seed=7)
    mask = random_mask((5, 7), seed=8, device=device)
    unchanged(lambda: lab.naive_attention(q, k, v, mask), {"q": q, "k": k, "v": v, "mask": mask}, "naive_attention")


# -------------------------------------------------------------------------------- online-softmax attention


@pytest.mark.parametrize("case", ONLINE_CASES)
def test_online_matches_sdpa(lab: Any, device: torch.device, case: tuple[int, ...]) -> None:
    B, H, Tq, Tk, d, block = case
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=10 + Tk)
    expected = attend(q, k, v)
    got = lab.online_softmax_attention(q, k, v, block_size=block)
    assert_close(got, expected,
                 name=f"online_softmax_attention(Tq={Tq}, Tk={Tk}, block_size={block})",
                 mistakes=lambda: mistakes.online_mistakes(q, k, v, block, causal=False))  # fmt: skip


def test_online_default_block_size(lab: Any, device: torch.device) -> None:
    q, k, v = qkv(1, 2, 8, 150, 8, device, seed=11)
    expected = attend(q, k, v)
    got = lab.online_softmax_attention(q, k, v)
    assert_close(got, expected, name="online_softmax_attention(Tk=150) with the default block_size=64",
                 mistakes=lambda: mistakes.online_mistakes(q, k, v, 64, causal=False))  # fmt: skip


@pytest.mark.parametrize("case", CAUSAL_CASES)
def test_online_causal_bottom_right(lab: Any, device: torch.device, case: tuple[int, ...]) -> None:
    B, H, Tq, Tk, d, block = case
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=20 + Tk)
    expected = attend(q, k, v, causal_mask(Tq, Tk, device))
    got = lab.online_softmax_attention(q, k, v, block_size=block, causal=True)
    assert_close(got, expected,
                 name=f"online_softmax_attention(Tq={Tq}, Tk={Tk}, block_size={block}, causal=True) (query i sees "
                      f"keys 0..{Tk - Tq} + i)",
                 mistakes=lambda: mistakes.online_mistakes(q, k, v, block, causal=True))  # fmt: skip


def check_large(lab: Any, q: Tensor, k: Tensor, v: Tensor, block: int, what: str, advice: str) -> None:
    """The learner's output is finite (else `advice`) and equals float64 attention within float32 rounding."""
    expected = attend(q, k, v)
    got = lab.online_softmax_attention(q, k, v, block_size=block)
    assert isinstance(got, Tensor), f"online_softmax_attention returned {type(got).__name__}, not a Tensor"
    if not bool(torch.isfinite(got).all()):
        raise AssertionError(f"online_softmax_attention gives inf or NaN for {what}: {advice}")
    assert_close(got, expected, name=f"online_softmax_attention for {what}", **LARGE_TOL,
                 mistakes=lambda: mistakes.online_mistakes(q, k, v, block, causal=False))  # fmt: skip


def test_online_is_exact_for_scores_near_plus_1e4(lab: Any, device: torch.device) -> None:
    q, k, v = large_score_qkv(device, sign=1.0)
    check_large(lab, q, k, v, 16, "scores near +1e4",
                "exp(1e4) overflows; subtract the running maximum before exp (exp(s - m) <= 1)")  # fmt: skip


def test_online_is_exact_for_scores_near_minus_1e4(lab: Any, device: torch.device) -> None:
    q, k, v = large_score_qkv(device, sign=-1.0)
    check_large(lab, q, k, v, 16, "scores near -1e4",
                "exp(-1e4) underflows to 0, so the sum is 0 and o / l is 0 / 0; subtract the running maximum, "
                "starting it at -inf (not 0)")  # fmt: skip


def test_online_rescales_when_the_max_jumps_between_blocks(lab: Any, device: torch.device) -> None:
    q, k, v = large_score_qkv(device, sign=1.0, jump=True)
    check_large(lab, q, k, v, 8, "scores whose maximum grows by thousands from one block to the next",
                "rescale what was accumulated by exp(m_old - m_new) (at most 1, never exp(m_new - m_old)), and "
                "subtract the running maximum, not the first block's")  # fmt: skip


Recorded = list[tuple[str, tuple[int, ...], torch.dtype]]  # (operator, shape, dtype) of each tensor created


def score_matrices(recorded: Recorded, B: int, H: int, Tq: int, Tk: int) -> Recorded:
    """Floating-point tensors that could hold the scores: Tq * Tk elements in their last two dims, or B * H * Tq * Tk
    in any layout (all blocks' scores at once). Boolean or integer masks are not scores, so they are not counted."""
    return [
        (op, shape, dtype)
        for op, shape, dtype in recorded
        if dtype.is_floating_point
        and (math.prod(shape[-2:]) >= Tq * Tk or math.prod(shape) >= B * H * Tq * Tk)
    ]


@pytest.mark.parametrize(("Tq", "causal"), [(64, False), (48, True)], ids=["full", "causal"])
def test_online_never_holds_the_score_matrix(lab: Any, device: torch.device, Tq: int, causal: bool) -> None:
    # block * d < Tk: a [Tq, block, d] product is allowed, and stays below Tq * Tk elements per head.
    B, H, Tk, d, block = 1, 2, 64, 4, 8
    q, k, v = qkv(B, H, Tq, Tk, d, device, seed=30)
    expected = attend(q, k, v, causal_mask(Tq, Tk, device) if causal else None)
    recorder = TensorRecorder()
    with recorder:
        got = lab.online_softmax_attention(q, k, v, block_size=block, causal=causal)
    big = score_matrices(recorder.seen, B, H, Tq, Tk)
    if big:
        op, shape, dtype = big[0]
        raise AssertionError(
            f"a full {Tq} x {Tk} score matrix (or all of its blocks at once) was materialised: shape {list(shape)} "
            f"by {op} ({dtype}), with block_size = {block}. Compute one [Tq, {block}] block of scores at a time and "
            "fold it into the running max, sum and output before the next"
        )
    assert_close(got, expected, name=f"online_softmax_attention(Tq={Tq}, Tk={Tk}, causal={causal})",
                 mistakes=lambda: mistakes.online_mistakes(q, k, v, block, causal))  # fmt: skip


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_online_leaves_its_inputs_unchanged(lab: Any, device: torch.device, causal: bool) -> None:
    q, k, v = qkv(2, 2, 5, 13, 8, device, seed=31)
    unchanged(lambda: lab.online_softmax_attention(q, k, v, block_size=4, causal=causal),
              {"q": q, "k": k, "v": v}, "online_softmax_attention")  # fmt: skip


# ------------------------------------------------------------------------------------------------- FLOPs


@pytest.mark.parametrize(("T", "d"), [(1, 1), (7, 3), (128, 64), (4096, 128)])
def test_attention_flops_formula(lab: Any, T: int, d: int) -> None:
    assert_count(lab.attention_flops(T, d), 4 * T * T * d, name=f"attention_flops(T={T}, d={d})",
                 mistakes=mistakes.flops_mistakes(T, d))  # fmt: skip


def test_attention_flops_matches_pytorchs_flop_counter(lab: Any) -> None:
    T, d = 48, 16
    got = lab.attention_flops(T, d)
    q, k, v = seeded_many([(1, 1, T, d)] * 3, seed=40)
    with FlopCounterMode(display=False) as counter:
        torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), dim=-1) @ v  # one head: Q K^T, then P V
    counted = counter.get_total_flops()
    hint = next((looks_like(m) for m, n in mistakes.flops_mistakes(T, d).items() if n == got), "")
    assert got == counted, (
        f"attention_flops(T={T}, d={d}) returned {got}, but torch.utils.flop_counter counts {counted} for one "
        f"head's Q K^T and P V{hint}"
    )


def test_attention_flops_is_a_formula_for_huge_sequences(lab: Any) -> None:
    T, d = 10**12, 128
    with time_limit(5, f"attention_flops(T={T}, d={d}) took over 5 s: it is a closed formula, no loop over T"):
        got = lab.attention_flops(T, d)
    assert_count(got, 4 * T * T * d, name=f"attention_flops(T={T}, d={d})", mistakes=mistakes.flops_mistakes(T, d))
