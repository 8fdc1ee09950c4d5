"""Comparisons whose failure messages teach: type, shape and dtype first, then where and how far off, then the
name of the known mistake the answer matches.

Known mistakes are given as a mapping {description: what that mistake returns}, or as a function that builds
the mapping: a function is called only when the comparison has already failed, so mistakes that cost model
runs are free for correct answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

MistakeTable = Mapping[str, Any]
Mistakes = MistakeTable | Callable[[], MistakeTable] | None


def _fmt_shape(t: torch.Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _close(got: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float) -> bool:
    if got.shape != expected.shape:
        return False
    if expected.dtype == torch.bool or not expected.is_floating_point():
        return bool(torch.equal(got.to(expected.dtype), expected))
    return bool(torch.allclose(got.to(expected.dtype), expected, atol=atol, rtol=rtol, equal_nan=False))


def describe_mismatch(got: torch.Tensor, expected: torch.Tensor, atol: float, rtol: float) -> str:
    """Largest absolute and relative error, the first mismatching index and a small slice of both."""
    g = got.detach().to("cpu", expected.dtype)
    e = expected.detach().to("cpu")
    if e.dtype == torch.bool or not e.is_floating_point():
        bad = g != e
        worst = ""
    else:
        diff = (g - e).abs()
        rel = diff / e.abs().clamp_min(1e-12)
        nan = torch.isnan(g) & ~torch.isnan(e)
        bad = (diff > atol + rtol * e.abs()) | nan
        max_abs = float(diff[~torch.isnan(diff)].max()) if (~torch.isnan(diff)).any() else float("nan")
        max_rel = float(rel[~torch.isnan(rel)].max()) if (~torch.isnan(rel)).any() else float("nan")
        worst = f"max abs error {max_abs:.3g}, max rel error {max_rel:.3g} (atol {atol:g}, rtol {rtol:g}); "
        if bool(nan.any()):
            worst += f"{int(nan.sum())} NaN where a number was expected; "
    n_bad = int(bad.sum())
    if n_bad == 0:
        return worst + "no element outside tolerance"
    first = tuple(int(i) for i in torch.nonzero(bad)[0].tolist())
    flat_g = g.reshape(-1) if g.dim() else g.reshape(1)
    flat_e = e.reshape(-1) if e.dim() else e.reshape(1)
    start = int(torch.nonzero(bad.reshape(-1))[0])
    sl = slice(start, start + 4)
    return (
        f"{worst}{n_bad} of {bad.numel()} elements differ; first at index {first}: "
        f"expected {flat_e[sl].tolist()} got {flat_g[sl].tolist()}"
    )


def assert_close(
    got: Any,
    expected: torch.Tensor,
    *,
    name: str = "output",
    atol: float = 1e-5,
    rtol: float = 1e-5,
    check_dtype: bool = True,
    mistakes: Mistakes = None,
) -> None:
    """Fail with a teaching message unless `got` matches `expected` in type, shape, dtype and value.

    `mistakes` maps a description of a known wrong approach ("the 1/sqrt(d) scale was left out of the
    backward") to the output that approach produces (or is a function returning that mapping); when `got`
    matches one, the message ends "This looks like <description>."
    """
    if not isinstance(got, torch.Tensor):
        raise AssertionError(f"{name}: expected a torch.Tensor, got {type(got).__name__}")
    if got.shape != expected.shape:
        hint = _known_mistake(got, mistakes, atol, rtol)
        raise AssertionError(
            f"{name}: shape mismatch: expected {_fmt_shape(expected)}, got {_fmt_shape(got)}{hint}"
        )
    if check_dtype and got.dtype != expected.dtype:
        raise AssertionError(f"{name}: dtype mismatch: expected {expected.dtype}, got {got.dtype}")
    if got.device.type != expected.device.type:
        raise AssertionError(f"{name}: device mismatch: expected {expected.device}, got {got.device}")
    if _close(got, expected, atol, rtol):
        return
    hint = _known_mistake(got, mistakes, atol, rtol)
    raise AssertionError(f"{name}: values differ: {describe_mismatch(got, expected, atol, rtol)}{hint}")


def mistake_table(mistakes: Mistakes) -> MistakeTable:
    """The mapping of known mistakes, built now if it was given as a function."""
    return (mistakes() if callable(mistakes) else mistakes) or {}


def looks_like(description: str) -> str:
    """The sentence that names a known mistake at the end of a failure message."""
    return f"\nThis looks like {description}."


def _known_mistake(got: torch.Tensor, mistakes: Mistakes, atol: float, rtol: float) -> str:
    for description, wrong in mistake_table(mistakes).items():
        if got.shape == wrong.shape and _close(got.detach(), wrong.detach().to(got.device), atol, rtol):
            return looks_like(description)
    return ""


def _matching(got: Any, mistakes: Mistakes) -> str:
    """`looks_like` the first mistake whose value equals `got` (plain Python values), else ""."""
    return next((looks_like(d) for d, wrong in mistake_table(mistakes).items() if wrong == got), "")


def require(condition: object, message: str) -> None:
    """Fail with exactly `message` unless `condition` holds (a bare `assert` would append pytest's introspection)."""
    if not condition:
        raise AssertionError(message)


def assert_count(got: Any, expected: int, *, name: str, mistakes: Mistakes = None) -> None:
    """A count or a size: `got` must be a Python int (not a bool, a float or a tensor) equal to `expected`."""
    if not isinstance(got, int) or isinstance(got, bool):
        raise AssertionError(f"{name} returned {type(got).__name__} {got!r}: return a Python int (a count)")
    if got != expected:
        raise AssertionError(f"{name} returned {got}, expected {expected}{_matching(got, mistakes)}")


def assert_ratio(got: Any, expected: float, *, name: str, rel: float = 1e-9, mistakes: Mistakes = None) -> None:
    """A ratio: `got` must be a Python float within `rel` (relative) of `expected`."""
    if not isinstance(got, float):
        raise AssertionError(f"{name} returned {type(got).__name__} {got!r}: return a Python float (a ratio)")
    if abs(got - expected) > rel * abs(expected):
        hint = next(
            (looks_like(d) for d, wrong in mistake_table(mistakes).items() if abs(got - wrong) <= rel * abs(wrong)),
            "",
        )
        raise AssertionError(f"{name} returned {got!r}, expected {expected!r} (rel tol {rel:g}){hint}")
