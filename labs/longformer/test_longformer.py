"""Autograder for lab 13 (longformer): window and global masks, banded attention, and the pair count."""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from labs.grading import assert_close, reference

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


def gen(seed: int) -> torch.Generator:
    """A CPU generator with a fixed seed."""
    return torch.Generator().manual_seed(seed)


def qkv(shape: tuple[int, int, int, int], device: torch.device, seed: int) -> list[torch.Tensor]:
    """q, k, v drawn on the CPU from `seed`, then moved to `device`."""
    g = gen(seed)
    return [torch.randn(*shape, generator=g).to(device) for _ in range(3)]


def band(T: int, keep: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Bool (T, T) on the CPU from a rule on query positions i (a column) and key positions j (a row)."""
    pos = torch.arange(T)
    return torch.broadcast_to(keep(pos[:, None], pos[None, :]), (T, T))


def window_by_definition(T: int, window: int) -> torch.Tensor:
    """The contract: i attends j iff |i - j| <= window // 2."""
    return band(T, lambda i, j: (i - j).abs() <= window // 2)


def longformer_by_definition(T: int, window: int, globals_: list[int]) -> torch.Tensor:
    """The contract: the window, or i global (its row), or j global (its column)."""
    return band(T, lambda i, j: ((i - j).abs() <= window // 2) | is_global(i, globals_) | is_global(j, globals_))


def is_global(pos: torch.Tensor, globals_: list[int]) -> torch.Tensor:
    """True where a position is one of the global indices."""
    return torch.isin(pos, torch.tensor(globals_, dtype=torch.long))


def window_mistakes(T: int, window: int) -> dict[str, torch.Tensor]:
    """Masks that common window mistakes produce."""
    h = window // 2
    return {
        "an off-by-one window: |i - j| < window // 2 drops the outermost key on each side": band(
            T, lambda i, j: (i - j).abs() < h
        ),
        "an off-by-one window: |i - j| <= window uses the whole window on each side (use window // 2)": band(
            T, lambda i, j: (i - j).abs() <= window
        ),
        "a one-sided (causal) window: Longformer's window looks window // 2 ahead as well as behind": band(
            T, lambda i, j: (i >= j) & (i - j <= h)
        ),
    }


def global_mistakes(T: int, window: int, globals_: list[int]) -> dict[str, torch.Tensor]:
    """Masks that common global-attention mistakes produce."""
    h = window // 2
    return {
        "global rows only: a global token attends to all, but the other tokens must also attend to it "
        "(set its column too)": band(T, lambda i, j: ((i - j).abs() <= h) | is_global(i, globals_)),
        "global columns only: every token attends to the global token, but the global token must also "
        "attend to every token (set its row too)": band(T, lambda i, j: ((i - j).abs() <= h) | is_global(j, globals_)),
        "the global indices were ignored": band(T, lambda i, j: (i - j).abs() <= h),
    }


def dense(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor, **kw: Any) -> torch.Tensor:
    """Dense masked attention through PyTorch's own operator (the forbidden call, lifted)."""
    with reference():
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.device), **kw)


def padding_gets_weight(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int) -> torch.Tensor:
    """Keys and values zero-padded by window // 2 at both ends and the padding left unmasked (score 0)."""
    T, h = q.shape[-2], window // 2
    k_pad, v_pad = (F.pad(x, (0, 0, h, h)) for x in (k, v))
    reach = band(T + 2 * h, lambda i, c: (c >= i) & (c - i <= 2 * h))[:T]
    return dense(q, k_pad, v_pad, reach)


def attention_mistakes(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int) -> dict[str, torch.Tensor]:
    """Outputs of common attention mistakes."""
    T = q.shape[-2]
    h = window // 2
    mistakes = {
        "the 1/sqrt(d) scale was left out of the scores": dense(q, k, v, window_by_definition(T, window), scale=1.0),
        "padded out-of-range positions at the sequence edges got attention weight (mask them with -inf "
        "before the softmax)": padding_gets_weight(q, k, v, window),
        "a one-sided (causal) window: each query must also see the window // 2 keys after it": dense(
            q, k, v, band(T, lambda i, j: (i >= j) & (i - j <= h))
        ),
        "an off-by-one window: |i - j| <= window instead of window // 2": dense(
            q, k, v, band(T, lambda i, j: (i - j).abs() <= window)
        ),
    }
    if h > 0:
        mistakes["an off-by-one window: |i - j| < window // 2 drops the outermost key on each side"] = dense(
            q, k, v, band(T, lambda i, j: (i - j).abs() < h)
        )
    return mistakes


# ----------------------------------------------------------------------------------------------- masks


def test_sliding_window_mask_matches_definition(lab: Any, device: torch.device) -> None:
    for T, window in MASK_CASES:
        got = lab.sliding_window_mask(T, window)
        assert isinstance(got, torch.Tensor), f"sliding_window_mask returned {type(got).__name__}, not a Tensor"
        assert_close(
            got.to(device),
            window_by_definition(T, window).to(device),
            name=f"sliding_window_mask(T={T}, window={window})",
            mistakes={d: m.to(device) for d, m in window_mistakes(T, window).items()},
        )


def test_sliding_window_mask_wider_than_sequence_is_full(lab: Any, device: torch.device) -> None:
    for T, window in [(6, 12), (6, 13), (5, 100)]:
        got = lab.sliding_window_mask(T, window)
        assert_close(
            got.to(device),
            torch.ones(T, T, dtype=torch.bool, device=device),
            name=f"sliding_window_mask(T={T}, window={window}) (window wider than the sequence: every pair)",
            mistakes={d: m.to(device) for d, m in window_mistakes(T, window).items()},
        )


def test_sliding_window_mask_is_symmetric(lab: Any, device: torch.device) -> None:
    for T, window in MASK_CASES:
        got = lab.sliding_window_mask(T, window).to(device)
        assert torch.equal(got, got.T), (
            f"sliding_window_mask(T={T}, window={window}) is not symmetric: if i may attend j, j may attend i "
            "(the window reaches window // 2 positions on both sides)"
        )


def test_longformer_mask_matches_definition(lab: Any, device: torch.device) -> None:
    for T, window, globals_ in GLOBAL_CASES:
        got = lab.longformer_mask(T, window, list(globals_))
        assert isinstance(got, torch.Tensor), f"longformer_mask returned {type(got).__name__}, not a Tensor"
        assert_close(
            got.to(device),
            longformer_by_definition(T, window, globals_).to(device),
            name=f"longformer_mask(T={T}, window={window}, global_indices={globals_})",
            mistakes={d: m.to(device) for d, m in global_mistakes(T, window, globals_).items()},
        )


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


def test_longformer_mask_is_symmetric(lab: Any, device: torch.device) -> None:
    for T, window, globals_ in GLOBAL_CASES:
        got = lab.longformer_mask(T, window, list(globals_)).to(device)
        assert torch.equal(got, got.T), (
            f"longformer_mask(T={T}, window={window}, global_indices={globals_}) is not symmetric: a global "
            "index needs both its full row and its full column"
        )


# --------------------------------------------------------------------------------------- pair counting


def band_count(n: int, half: int) -> int:
    """n(2h + 1) - h(h + 1), unclamped (a mistake helper; the tests' expected values come from masks)."""
    return n * (2 * half + 1) - half * (half + 1) if n > 0 else 0


def pair_mistakes(cases: list[tuple[int, int, int]]) -> dict[str, list[int]]:
    """What wrong pair-count formulas give on each case."""

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


def check_pairs(lab: Any, cases: list[tuple[int, int, int]]) -> None:
    """attention_pairs equals the number of True entries of the mask, on every case."""
    got = [int(lab.attention_pairs(T, w, g)) for T, w, g in cases]
    expected = [int(longformer_by_definition(T, w, list(range(g))).sum()) for T, w, g in cases]
    if got == expected:
        return
    hint = next((f"\nThis looks like {d}." for d, vals in pair_mistakes(cases).items() if vals == got), "")
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
    got = lab.attention_pairs(10, 4, 2)
    assert isinstance(got, int) and not isinstance(got, bool), (
        f"attention_pairs returned {type(got).__name__}: return a Python int (a count, not a tensor)"
    )


@contextmanager
def time_limit(seconds: int, message: str) -> Iterator[None]:
    """Fail with `message` if the block runs longer than `seconds` (main thread only; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise AssertionError(message)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_attention_pairs_is_a_formula_for_huge_sequences(lab: Any, device: torch.device) -> None:
    # Past T0 = g + 2h + 2 every extra position adds one row and one column that both meet the band
    # (2h + 1 entries) and the g globals (2g entries), so the count grows linearly from a mask we can build.
    T, window, g = 10**12, 1000, 64
    h = window // 2
    T0 = g + 2 * h + 2
    expected = int(longformer_by_definition(T0, window, list(range(g))).sum()) + (T - T0) * (2 * h + 1 + 2 * g)
    with time_limit(5, f"attention_pairs(T={T}, ...) took over 5 s: count with a formula, not a mask or a loop"):
        got = lab.attention_pairs(T, window, g)
    hint = next((f"\nThis looks like {d}." for d, vals in pair_mistakes([(T, window, g)]).items() if vals == [got]), "")
    assert int(got) == expected, (
        f"attention_pairs(T={T}, window={window}, n_global={g}) returned {got}, expected {expected}{hint}"
    )


# ------------------------------------------------------------------------------------------- attention


def test_sliding_window_attention_matches_dense_masked_attention(lab: Any, device: torch.device) -> None:
    for n, (B, H, T, d, window) in enumerate(ATTN_SHAPES):
        q, k, v = qkv((B, H, T, d), device, seed=100 + n)
        got = lab.sliding_window_attention(q, k, v, window)
        assert_close(
            got,
            dense(q, k, v, window_by_definition(T, window)),
            name=f"sliding_window_attention(shape={[B, H, T, d]}, window={window})",
            mistakes=attention_mistakes(q, k, v, window),
        )


def test_sliding_window_attention_window_one_returns_values(lab: Any, device: torch.device) -> None:
    q, k, v = qkv((2, 2, 10, 8), device, seed=7)
    got = lab.sliding_window_attention(q, k, v, 1)
    assert_close(
        got,
        v,
        name="sliding_window_attention(window=1) (each query sees only its own key, so the output is v)",
        mistakes={"the zero padding got attention weight (mask it with -inf)": padding_gets_weight(q, k, v, 3)},
    )


def test_sliding_window_attention_edges_give_padding_no_weight(lab: Any, device: torch.device) -> None:
    # Values far from zero make any weight on zero padding visible in the first and last rows.
    for n, (T, window) in enumerate([(6, 8), (10, 6), (12, 11)]):
        q, k, v = qkv((1, 2, T, 8), device, seed=200 + n)
        v = v + 3.0
        got = lab.sliding_window_attention(q, k, v, window)
        assert_close(
            got,
            dense(q, k, v, window_by_definition(T, window)),
            name=f"sliding_window_attention(T={T}, window={window}) at the sequence edges",
            mistakes=attention_mistakes(q, k, v, window),
        )


def test_sliding_window_attention_wider_than_sequence_is_full_attention(lab: Any, device: torch.device) -> None:
    q, k, v = qkv((2, 2, 7, 8), device, seed=11)
    got = lab.sliding_window_attention(q, k, v, 40)
    with reference():
        expected = F.scaled_dot_product_attention(q, k, v)
    assert_close(
        got,
        expected,
        name="sliding_window_attention(T=7, window=40) (a window wider than T is full attention)",
        mistakes=attention_mistakes(q, k, v, 40),
    )


class ShapeRecorder(TorchDispatchMode):
    """Records the shape, dtype and operator of every tensor an operator produces."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, tuple[int, ...], torch.dtype]] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.seen.append((str(func), tuple(t.shape), t.dtype))
        return out


def last_two_dims(shape: tuple[int, ...]) -> int:
    """Elements in the last two dimensions (all of them for a 0-d or 1-d tensor)."""
    return math.prod(shape[-2:])


def test_sliding_window_attention_never_materialises_T_by_T(lab: Any, device: torch.device) -> None:
    B, H, T, d, window = 1, 2, 256, 8, 16
    q, k, v = qkv((B, H, T, d), device, seed=3)
    recorder = ShapeRecorder()
    with recorder:
        got = lab.sliding_window_attention(q, k, v, window)
    big = [(op, shape, dtype) for op, shape, dtype in recorder.seen if last_two_dims(shape) >= T * T]
    if big:
        scores = [b for b in big if b[2].is_floating_point]
        op, shape, dtype = (scores or big)[0]
        what = "score matrix" if scores else "mask"
        raise AssertionError(
            f"a full T x T {what} of shape {list(shape)} was materialised (by {op}, {dtype}) for T = {T}, "
            f"window = {window}: compute only the 2 * (window // 2) + 1 = {2 * (window // 2) + 1} scores "
            "of each query's window, O(T * window) in all"
        )
    assert_close(
        got,
        dense(q, k, v, window_by_definition(T, window)),
        name=f"sliding_window_attention(T={T}, window={window})",
        mistakes=attention_mistakes(q, k, v, window),
    )


def test_sliding_window_attention_gradients_match_dense(lab: Any, device: torch.device) -> None:
    B, H, T, d, window = 2, 2, 13, 8, 6
    q, k, v = (x.requires_grad_() for x in qkv((B, H, T, d), device, seed=5))
    upstream = torch.randn(B, H, T, d, generator=gen(6)).to(device)
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
