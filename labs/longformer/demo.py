"""Dense vs Longformer attention as T grows: score entries and bytes by formula, then measured time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from labs.longformer.solution import attention_pairs, sliding_window_attention, sliding_window_mask

WINDOW = 512  # Longformer-base's attention window
N_GLOBAL = 2  # e.g. [CLS] and a question token
BYTES = 4  # float32 scores


def compact(n: float) -> str:
    """1234567 -> '1.23M'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def mib(elements: int) -> str:
    """float32 elements as MiB."""
    return f"{elements * BYTES / 2**20:,.1f}"


def count_table() -> Table:
    """Score entries per head and sequence, dense vs sliding window (+ globals), from `attention_pairs`."""
    table = Table(title=f"Score entries per head: dense vs window {WINDOW} + {N_GLOBAL} global tokens")
    for col in ("T", "dense T^2", "window only", f"+ {N_GLOBAL} globals", "dense MiB", "Longformer MiB", "dense / LF"):
        table.add_column(col, justify="right")
    for T in [2**p for p in range(8, 15)]:
        dense = T * T
        longformer = attention_pairs(T, WINDOW, N_GLOBAL)
        table.add_row(
            f"{T:,}", compact(dense), compact(attention_pairs(T, WINDOW, 0)), compact(longformer),
            mib(dense), mib(longformer), f"{dense / longformer:.1f}x",
        )
    return table


def dense_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int) -> torch.Tensor:
    """The O(T^2) way: every score, then the window mask."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~sliding_window_mask(q.shape[-2], window), float("-inf"))
    return scores.softmax(-1) @ v


def timed(fn: Callable[..., torch.Tensor], *args: Any, repeats: int) -> tuple[torch.Tensor, float]:
    """Output and best wall time in ms over `repeats` calls."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best * 1e3


def timing_table() -> Table:
    """Measured on this machine: dense masked attention vs the solution's banded attention."""
    B, H, d, window = 1, 1, 64, 128
    table = Table(title=f"Measured on CPU: B={B}, H={H}, d={d}, window={window}")
    for col in ("T", "dense scores", "dense ms", "banded ms", "speed-up", "max |diff|"):
        table.add_column(col, justify="right")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        warm = [torch.randn(B, H, 256, d, generator=g) for _ in range(3)]
        dense_attention(*warm, window), sliding_window_attention(*warm, window)
        for T in (512, 1024, 2048, 4096):
            q, k, v = (torch.randn(B, H, T, d, generator=g) for _ in range(3))
            repeats = 3 if T <= 2048 else 1  # keeps the demo under 10 s on two cores
            ref, t_dense = timed(dense_attention, q, k, v, window, repeats=repeats)
            out, t_band = timed(sliding_window_attention, q, k, v, window, repeats=repeats)
            table.add_row(
                f"{T:,}", compact(B * H * T * T), f"{t_dense:.1f}", f"{t_band:.1f}", f"{t_dense / t_band:.1f}x",
                f"{(out - ref).abs().max().item():.1e}",
            )
    return table


def main() -> None:
    """Print both tables and the one-line lesson."""
    console = Console()
    console.print(count_table())
    console.print(
        f"Each extra token adds 2T + 1 dense entries but only 2*(w//2) + 1 + 2g = "
        f"{2 * (WINDOW // 2) + 1 + 2 * N_GLOBAL} Longformer entries once T > g + w//2: O(T) instead of O(T^2).\n"
    )
    console.print(timing_table())


if __name__ == "__main__":
    main()
