"""Demo for card 10: without 1/sqrt(d_k) the scores grow with d_k, the softmax saturates and its gradient vanishes."""

from __future__ import annotations

import math
import statistics

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor

from labs.attention_scaling.solution import dot_product_stats, softmax_entropy, softmax_jacobian

D_KS = (1, 4, 16, 64, 256, 1024)
N_KEYS, N_QUERIES, N_PAIRS = 64, 256, 4000


def _scores(d_k: int, seed: int) -> Tensor:
    """q K^T for N_QUERIES queries against N_KEYS keys, all entries N(0, 1): [N_QUERIES, N_KEYS]."""
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(N_QUERIES, d_k, generator=g)
    k = torch.randn(N_KEYS, d_k, generator=g)
    return q @ k.T


def _largest_gradient(scores: Tensor) -> float:
    """Median over the queries of the largest |d p_i / d s_j|: the strongest gradient any score receives."""
    return statistics.median(float(softmax_jacobian(row).abs().max()) for row in scores)


def _saturated(scores: Tensor) -> float:
    """Share of queries whose softmax puts more than 99% on one key."""
    return float((torch.softmax(scores, dim=-1).amax(dim=-1) > 0.99).float().mean())


def main() -> None:
    """Print, for each d_k, the variances, the mean entropy and the median largest gradient, raw and scaled."""
    table = Table(title=f"{N_QUERIES} queries x {N_KEYS} keys, q, k ~ N(0, I): raw q.k vs q.k / sqrt(d_k)")
    for column in ("d_k", "Var q.k", "Var scaled", "H raw", "H scaled", "1-hot raw", "max|J| raw", "max|J| scaled"):
        table.add_column(column, justify="right")
    for d_k in D_KS:
        var_raw, var_scaled = dot_product_stats(d_k, N_PAIRS, torch.Generator().manual_seed(d_k))
        raw = _scores(d_k, seed=1000 + d_k)
        scaled = raw / math.sqrt(d_k)
        table.add_row(
            str(d_k), f"{float(var_raw):.1f}", f"{float(var_scaled):.2f}",
            f"{float(softmax_entropy(raw).mean()):.2f}", f"{float(softmax_entropy(scaled).mean()):.2f}",
            f"{_saturated(raw):.0%}",
            f"{_largest_gradient(raw):.1e}", f"{_largest_gradient(scaled):.1e}",
        )  # fmt: skip
    console = Console()
    console.print(table)
    console.print(
        f"Var q.k grows as d_k; divided by sqrt(d_k) it stays 1. H: mean softmax entropy in nats (uniform: "
        f"ln {N_KEYS} = {math.log(N_KEYS):.2f}). 1-hot raw: queries whose softmax puts over 99% on one key. "
        "max|J|: median over queries of the largest entry of diag(p) - p p^T, the strongest gradient any score "
        "gets. Unscaled, it first rises as the softmax sharpens, then collapses by orders of magnitude as the "
        "softmax saturates; scaled, entropy and gradient stay the same at every d_k.\n"
    )


if __name__ == "__main__":
    main()
