"""Tensor comparisons whose failure messages teach: shape and dtype first, then where and how far off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch


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
    mistakes: Mapping[str, torch.Tensor] | None = None,
) -> None:
    """Fail with a teaching message unless `got` matches `expected` in type, shape, dtype and value.

    `mistakes` maps a description of a known wrong approach ("the 1/sqrt(d) scale was left out of the
    backward") to the output that approach produces; when `got` matches one, the message names it.
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


def _known_mistake(
    got: torch.Tensor, mistakes: Mapping[str, torch.Tensor] | None, atol: float, rtol: float
) -> str:
    for description, wrong in (mistakes or {}).items():
        if got.shape == wrong.shape and _close(got.detach(), wrong.detach().to(got.device), atol, rtol):
            return f"\nThis looks like {description}."
    return ""
