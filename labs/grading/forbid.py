"""Forbidden calls: while learner code runs, calling e.g. F.scaled_dot_product_attention raises, naming the call.

The guard patches each named attribute once per process with a wrapper that raises only while the guard is
active and the name is among those the latest `install` forbade (so one lab's forbidden calls never leak into
another lab run in the same process). Lab tests run with the guard active; a test computes its expected values
inside `with reference():`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any


class ForbiddenCallError(RuntimeError):
    """Raised when learner code calls something the lab forbids."""


class _Guard:
    active: bool = False
    installed: dict[str, Any] = {}
    forbidden: frozenset[str] = frozenset()


def _resolve(dotted: str) -> tuple[Any, str]:
    """The object that owns the last attribute of `dotted` (a module or a class) and that attribute's name."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:-1]:
            owner = getattr(owner, attr)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve forbidden call {dotted!r}")


def _wrap(dotted: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _Guard.active and dotted in _Guard.forbidden:
            raise ForbiddenCallError(f"{dotted} is forbidden in this lab: implement it yourself")
        return original(*args, **kwargs)

    return guarded


def install(names: Iterable[str]) -> None:
    """Patch each dotted name (idempotent) and forbid exactly these. The guard stays inactive until `guarded()`."""
    names = list(names)
    _Guard.forbidden = frozenset(names)
    for dotted in names:
        if dotted in _Guard.installed:
            continue
        owner, attr = _resolve(dotted)
        original = getattr(owner, attr)
        _Guard.installed[dotted] = original
        setattr(owner, attr, _wrap(dotted, original))


@contextmanager
def guarded() -> Iterator[None]:
    """Make forbidden calls raise inside this block."""
    previous, _Guard.active = _Guard.active, True
    try:
        yield
    finally:
        _Guard.active = previous


@contextmanager
def reference() -> Iterator[None]:
    """Lift the guard inside this block, for a test's own reference computations."""
    previous, _Guard.active = _Guard.active, False
    try:
        yield
    finally:
        _Guard.active = previous
