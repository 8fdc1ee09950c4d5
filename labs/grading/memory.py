"""Proof that code never holds a full score matrix: every tensor an operator creates is recorded and measured.

    guard = ScoreMatrixGuard(rows=T, cols=T)
    with guard:
        out = lab.sliding_window_attention(q, k, v, window)
    guard.check("compute only each query's window of scores")

A tensor counts as a full matrix when its last two dimensions hold at least rows x cols elements (a
[.., Tq, Tk] score or mask tensor, also flattened as [.., Tq * Tk]). Choose sizes where no input or
output of the function is that large, so that only an intermediate can trip the guard.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class TensorRecorder(TorchDispatchMode):
    """Records (operator, shape, dtype) of every tensor an operator produces while active."""

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


class ScoreMatrixGuard:
    """A context that records tensors; `check` fails if one could hold a rows x cols matrix."""

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self._recorder = TensorRecorder()

    def __enter__(self) -> ScoreMatrixGuard:
        self._recorder.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._recorder.__exit__(kind, exc, tb)

    def full_matrices(self) -> list[tuple[str, tuple[int, ...], torch.dtype]]:
        """Every recorded (operator, shape, dtype) whose last two dims hold rows x cols elements or more."""
        return [seen for seen in self._recorder.seen if last_two_dims(seen[1]) >= self.rows * self.cols]

    def check(self, advice: str) -> None:
        """Fail, naming the operator, the shape and `advice`, if a full matrix was materialised."""
        big = self.full_matrices()
        if not big:
            return
        scores = [b for b in big if b[2].is_floating_point]
        op, shape, dtype = (scores or big)[0]
        what = "score matrix" if scores else "mask"
        raise AssertionError(
            f"a full {self.rows} x {self.cols} {what} of shape {list(shape)} was materialised (by {op}, {dtype}): "
            f"{advice}"
        )
