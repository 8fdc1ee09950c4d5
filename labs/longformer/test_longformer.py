"""Autograder for lab 13 (longformer): window and global masks, banded attention, and the pair count."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from labs.grading import (
    ScoreMatrixGuard,
    assert_close,
    assert_count,
    looks_like,
    reference,
    seeded,
    seeded_many,
    time_limit,
)
from labs.longformer import mistakes
from labs.longformer.mistakes import band, dense, is_global

# (T, window): odd and even windows, window 1, windows wider than T, a single position.
MASK_CASES = [(12, 5), (12, 4), (10, 2), (9, 1), (16, 7), (7, 20), (5, 6), (1, 3)]
# (T, window, global indices): first, middle, last, unsorted, repeated, none.
GLOBAL_CASES = [
    (12, 4, [0]),
    (12, 5, [0, 6]),
    (10, 3, [9]),
    (14, 2, [7, 0, 3]),
    (9, 1, [4, 4]),
    (8, 6, []),
    (6, 20, [2]),
]
# (B, H, T, d, window) for the attention.
ATTN_SHAPES = [(2, 3, 17, 8, 5), (1, 2, 16, 4, 4), (3, 2, 33, 8, 8), (2, 1, 9, 16, 1), (1, 2, 24, 8, 9)]


def qkv(shape: tuple[int, int, int, int], device: torch.device, seed: int) -> list[torch.Tensor]:
    """q, k, v drawn on the CPU from `seed`, then moved to `device`."""
    return seeded_many([shape] * 3, seed, device)


def window_by_definition(T: int, window: int) -> torch.Tensor:
    """The contract: i attends j iff |i - j| <= window // 2."""
    return band(T, lambda i, j: (i - j).abs() <= window // 2)


def longformer_by_definition(T: int, window: int, globals_: list[int]) -> torch.Tensor:
    """The contract: the window, or i global (its row), or j global (its column)."""
    return band(T, lambda i, j: ((i - j).abs() <= window // 2) | is_global(i, globals_) | is_global(j, globals_))


def on(device: torch.device, masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Known-mistake masks moved to the device under test."""
    return {description: mask.to(device) for description, mask in masks.items()}


# ----------------------------------------------------------------------------------------------- masks


@pytest.mark.parametrize(("T", "window"), MASK_CASES)
def test_sliding_window_mask_matches_definition(lab: Any, device: torch.device, T: int, window: int) -> None:
    got = lab.sliding_window_mask(T, window)
    assert isinstance(got, torch.Tensor), f"sliding_window_mask returned {type(got).__name__}, not a Tensor"
    assert_close(got.to(device), window_by_definition(T, window).to(device),
                 name=f"sliding_window_mask(T={T}, window={window})",
                 mistakes=lambda: on(device, mistakes.window_mistakes(T, window)))  # fmt: skip


@pytest.mark.parametrize(("T", "window"), [(6, 12), (6, 13), (5, 100)])
def test_sliding_window_mask_wider_than_sequence_is_full(lab: Any, device: torch.device, T: int, window: int) -> None:
    got = lab.sliding_window_mask(T, window)
    assert_close(got.to(device), torch.ones(T, T, dtype=torch.bool, device=device),
                 name=f"sliding_window_mask(T={T}, window={window}) (window wider than the sequence: every pair)",
                 mistakes=lambda: on(device, mistakes.window_mistakes(T, window)))  # fmt: skip


@pytest.mark.parametrize(("T", "window"), MASK_CASES)
def test_sliding_window_mask_is_symmetric(lab: Any, device: torch.device, T: int, window: int) -> None:
    got = lab.sliding_window_mask(T, window).to(device)
    assert torch.equal(got, got.T), (
        f"sliding_window_mask(T={T}, window={window}) is not symmetric: if i may attend j, j may attend i "
        "(the window reaches window // 2 positions on both sides)"
    )


@pytest.mark.parametrize(("T", "window", "globals_"), GLOBAL_CASES)
def test_longformer_mask_matches_definition(
    lab: Any, device: torch.device, T: int, window: int, globals_: list[int]
) -> None:
    got = lab.longformer_mask(T, window, list(globals_))
    assert isinstance(got, torch.Tensor), f"longformer_mask returned {type(got).__name__}, not a Tensor"
    assert_close(got.to(device), longformer_by_definition(T, window, globals_).to(device),
                 name=f"longformer_mask(T={T}, window={window}, global_indices={globals_})",
                 mistakes=lambda: on(device, mistakes.global_mistakes(T, window, globals_)))  # fmt: skip


def test_longformer_global_rows_and_columns_are_full(lab: Any, device: torch.device) -> None:
    T, window, globals_ = 16, 4, [0, 9]
    got = lab.longformer_mask(T, window, list(globals_)).to(device)
    for g in globals_:
        assert bool(got[g, :].all()), (
            f"longformer_mask(T={T}, window={window}, global_indices={globals_}): row {g} is not all True: "
            "a global token attends to every position (set its row)"
        )
        assert bool(got[:, g].all()), (
            f"longformer_mask(T={T}, window={window}, global_indices={globals_}): column {g} is not all True: "
            "every position attends to a global token (set its column)"
        )


@pytest.mark.parametrize(("T", "window", "globals_"), GLOBAL_CASES)
def test_longformer_mask_is_symmetric(lab: Any, device: torch.device, T: int, window: int, globals_: list[int]) -> None:
    got = lab.longformer_mask(T, window, list(globals_)).to(device)
    assert torch.equal(got, got.T), (
        f"longformer_mask(T={T}, window={window}, global_indices={globals_}) is not symmetric: a global "
        "index needs both its full row and its full column"
    )


# --------------------------------------------------------------------------------------- pair counting


def check_pairs(lab: Any, cases: list[tuple[int, int, int]]) -> None:
    """attention_pairs equals the number of True entries of the mask, on every case."""
    got = [int(lab.attention_pairs(T, w, g)) for T, w, g in cases]
    expected = [int(longformer_by_definition(T, w, list(range(g))).sum()) for T, w, g in cases]
    if got == expected:
        return
    hint = next((looks_like(d) for d, vals in mistakes.pair_mistakes(cases).items() if vals == got), "")
    (T, w, g), g_val, e_val = next((c, a, b) for c, a, b in zip(cases, got, expected, strict=True) if a != b)
    raise AssertionError(
        f"attention_pairs(T={T}, window={w}, n_global={g}) returned {g_val}, but "
        f"longformer_mask(T={T}, window={w}, global_indices=range({g})) has {e_val} True entries{hint}"
    )


def test_attention_pairs_counts_the_band_cut_at_the_edges(lab: Any, device: torch.device) -> None:
    check_pairs(lab, [(T, w, 0) for T in (1, 2, 5, 9, 16) for w in (1, 2, 3, 4, 7, 8)])


def test_attention_pairs_counts_global_overlaps_once(lab: Any, device: torch.device) -> None:
    check_pairs(lab, [(T, w, g) for T in (6, 11, 16) for w in (1, 3, 4, 9) for g in (1, 2, 5)])


def test_attention_pairs_window_wider_than_sequence(lab: Any, device: torch.device) -> None:
    check_pairs(lab, [(T, w, g) for T in (1, 4, 7) for w in (T, 2 * T, 2 * T + 1, 50) for g in (0, 1, T)])


def test_attention_pairs_returns_a_python_int(lab: Any, device: torch.device) -> None:
    expected = int(longformer_by_definition(10, 4, [0, 1]).sum())
    assert_count(lab.attention_pairs(10, 4, 2), expected, name="attention_pairs(T=10, window=4, n_global=2)")


def test_attention_pairs_is_a_formula_for_huge_sequences(lab: Any, device: torch.device) -> None:
    # Past T0 = g + 2h + 2 every extra position adds one row and one column that both meet the band
    # (2h + 1 entries) and the g globals (2g entries), so the count grows linearly from a mask we can build.
    T, window, g = 10**12, 1000, 64
    h = window // 2
    T0 = g + 2 * h + 2
    expected = int(longformer_by_definition(T0, window, list(range(g))).sum()) + (T - T0) * (2 * h + 1 + 2 * g)
    with time_limit(5, f"attention_pairs(T={T}, ...) took over 5 s: count with a formula, not a mask or a loop"):
        got = lab.attention_pairs(T, window, g)
    hint = next((looks_like(d) for d, vals in mistakes.pair_mistakes([(T, window, g)]).items() if vals == [got]), "")
    assert int(got) == expected, (
        f"attention_pairs(T={T}, window={window}, n_global={g}) returned {got}, expected {expected}{hint}"
    )


# ------------------------------------------------------------------------------------------- attention


@pytest.mark.parametrize("case", range(len(ATTN_SHAPES)))
def test_sliding_window_attention_matches_dense_masked_attention(lab: Any, device: torch.device, case: int) -> None:
    B, H, T, d, window = ATTN_SHAPES[case]
    q, k, v = qkv((B, H, T, d), device, seed=100 + case)
    got = lab.sliding_window_attention(q, k, v, window)
    assert_close(got, dense(q, k, v, window_by_definition(T, window)),
                 name=f"sliding_window_attention(shape={[B, H, T, d]}, window={window})",
                 mistakes=lambda: mistakes.attention_mistakes(q, k, v, window))  # fmt: skip


def test_sliding_window_attention_window_one_returns_values(lab: Any, device: torch.device) -> None:
    q, k, v = qkv((2, 2, 10, 8), device, seed=7)
    got = lab.sliding_window_attention(q, k, v, 1)
    assert_close(
        got,
        v,
        name="sliding_window_attention(window=1) (each query sees only its own key, so the output is v)",
        mistakes=lambda: {mistakes.PADDING: mistakes.padding_gets_weight(q, k, v, 3)},
    )


@pytest.mark.parametrize(("case", "T", "window"), [(0, 6, 8), (1, 10, 6), (2, 12, 11)])
def test_sliding_window_attention_edges_give_padding_no_weight(
    lab: Any, device: torch.device, case: int, T: int, window: int
) -> None:
    # Values far from zero make any weight on zero padding visible in the first and last rows.
    q, k, v = qkv((1, 2, T, 8), device, seed=200 + case)
    v = v + 3.0
    got = lab.sliding_window_attention(q, k, v, window)
    assert_close(got, dense(q, k, v, window_by_definition(T, window)),
                 name=f"sliding_window_attention(T={T}, window={window}) at the sequence edges",
                 mistakes=lambda: mistakes.attention_mistakes(q, k, v, window))  # fmt: skip


def test_sliding_window_attention_wider_than_sequence_is_full_attention(lab: Any, device: torch.device) -> None:
    q, k, v = qkv((2, 2, 7, 8), device, seed=11)
    got = lab.sliding_window_attention(q, k, v, 40)
    with reference():
        expected = F.scaled_dot_product_attention(q, k, v)
    assert_close(
        got,
        expected,
        name="sliding_window_attention(T=7, window=40) (a window wider than T is full attention)",
        mistakes=lambda: mistakes.attention_mistakes(q, k, v, 40),
    )


def test_sliding_window_attention_never_materialises_T_by_T(lab: Any, device: torch.device) -> None:
    B, H, T, d, window = 1, 2, 256, 8, 16
    q, k, v = qkv((B, H, T, d), device, seed=3)
    with ScoreMatrixGuard(rows=T, cols=T) as guard:
        got = lab.sliding_window_attention(q, k, v, window)
    guard.check(
        f"T = {T}, window = {window}: compute only the 2 * (window // 2) + 1 = {2 * (window // 2) + 1} scores "
        "of each query's window, O(T * window) in all"
    )
    assert_close(got, dense(q, k, v, window_by_definition(T, window)),
                 name=f"sliding_window_attention(T={T}, window={window})",
                 mistakes=lambda: mistakes.attention_mistakes(q, k, v, window))  # fmt: skip


def test_sliding_window_attention_gradients_match_dense(lab: Any, device: torch.device) -> None:
    B, H, T, d, window = 2, 2, 13, 8, 6
    q, k, v = (x.requires_grad_() for x in qkv((B, H, T, d), device, seed=5))
    upstream = seeded((B, H, T, d), seed=6, device=device)
    got = lab.sliding_window_attention(q, k, v, window)
    assert isinstance(got, torch.Tensor) and got.requires_grad, (
        "sliding_window_attention's output does not require grad: it must stay differentiable with respect "
        "to q, k and v (no torch.no_grad(), .detach(), .item() or NumPy on the way)"
    )
    grads = torch.autograd.grad((got * upstream).sum(), (q, k, v), allow_unused=True)
    with reference():
        expected = torch.autograd.grad(
            (dense(q, k, v, window_by_definition(T, window)) * upstream).sum(), (q, k, v)
        )
    for name, g_got, g_exp in zip("qkv", grads, expected, strict=True):
        assert g_got is not None, f"the output does not depend on {name}: no gradient reached it"
        assert_close(g_got, g_exp, name=f"gradient with respect to {name}", atol=1e-5, rtol=1e-4)
