"""Demo for card 1: an RNN's last output forgets its first input, attention's does not; T sequential steps vs 1."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor

from labs.rnn_vs_attention.solution import influence, rnn_forward, self_attention

B, WIDTH = 4, 32  # batch, and the width of x, of the RNN state and of the attention head
F64 = torch.float64  # the RNN's influence falls below float32's smallest number on long sequences
Model = Callable[[Tensor], Tensor]


def models(seed: int = 0) -> tuple[Model, Model]:
    """The RNN (outputs, from a zero state) with nn.RNN's initialisation, and self-attention with N(0, 1/D) weights."""
    g = torch.Generator().manual_seed(seed)
    bound = 1 / math.sqrt(WIDTH)
    W_xh, W_hh = ((torch.rand(WIDTH, WIDTH, generator=g, dtype=F64) * 2 - 1) * bound for _ in range(2))
    b_h = (torch.rand(WIDTH, generator=g, dtype=F64) * 2 - 1) * bound
    W_q, W_k, W_v = (torch.randn(WIDTH, WIDTH, generator=g, dtype=F64) * bound for _ in range(3))

    def rnn(x: Tensor) -> Tensor:
        return rnn_forward(x, x.new_zeros(x.shape[0], WIDTH), W_xh, W_hh, b_h)[0]

    def attention(x: Tensor) -> Tensor:
        return self_attention(x, W_q, W_k, W_v)

    return rnn, attention


def inputs(T: int, seed: int = 1) -> Tensor:
    """Random inputs [B, T, WIDTH] in float64."""
    return torch.randn(B, T, WIDTH, generator=torch.Generator().manual_seed(seed), dtype=F64)


def bar(value: float, low: float, high: float, width: int = 16) -> str:
    """A bar whose length places log10(value) between log10(low) and log10(high)."""
    share = (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
    return "█" * max(1, round(share * width))


def fading_table(rnn: Model, attention: Model) -> Table:
    """The first input's influence on the last output, divided by that of the input just before the last."""
    table = Table(title="x_0's influence on the last output / x_(T-2)'s")
    for column in ("T", "x_0 further by", "RNN", "attention"):
        table.add_column(column, justify="right")
    for T in (4, 16, 64, 256):
        x = inputs(T)
        r, a = influence(rnn, x), influence(attention, x)
        table.add_row(str(T), f"{T - 2} steps", f"{float(r[0] / r[-2]):.1e}", f"{float(a[0] / a[-2]):.2f}")
    return table


def profile_table(rnn: Model, attention: Model, T: int = 24) -> Table:
    """Each position's influence on the last output, with log-scale bars."""
    x = inputs(T, seed=2)
    r, a = influence(rnn, x).tolist(), influence(attention, x).tolist()
    low, high = min(r + a), max(r + a)
    table = Table(title=f"Influence of each x_t on the last output (T = {T}, log-scale bars)")
    for column, justify in (("t", "right"), ("RNN", "right"), ("", "left"), ("attention", "right"), ("", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for t in [*range(0, T - 1, 4), T - 1]:
        table.add_row(str(t), f"{r[t]:.1e}", bar(r[t], low, high), f"{a[t]:.1e}", bar(a[t], low, high))
    return table


def work_table(D: int = 512) -> Table:
    """Steps that must wait for each other, and floating-point operations, for one sequence (from the shapes)."""
    table = Table(title=f"One sequence of width {D}: sequential steps and FLOPs")
    for column in ("T", "RNN steps", "RNN FLOPs", "attention steps", "attention FLOPs"):
        table.add_column(column, justify="right")
    for T in (128, 1024, 8192):
        rnn_flops = T * 2 * (D * D + D * D)  # x_t W_xh and h_(t-1) W_hh at every step
        attention_flops = 3 * 2 * T * D * D + 2 * 2 * T * T * D  # the Q, K, V projections; Q K^T and P V
        table.add_row(str(T), str(T), f"{rnn_flops:.1e}", "1", f"{attention_flops:.1e}")
    return table


def main() -> None:
    """Print the influence tables and the work table."""
    rnn, attention = models()
    console = Console()
    console.print(fading_table(rnn, attention))
    console.print(
        "Random inputs; RNN weights drawn as nn.RNN initialises them, attention weights N(0, 1/D). Every RNN "
        "step multiplies the gradient by W_hh and by tanh' <= 1, so an input's influence shrinks geometrically "
        "with its distance from the output. In attention every input is one hop from every output: x_0 counts "
        "about as much as x_(T-2), whatever T is (each of T keys gets a share of the softmax).\n"
    )
    console.print(profile_table(rnn, attention))
    console.print(work_table())
    console.print(
        "h_t needs h_(t-1): the RNN runs T small steps, each waiting for the one before. Attention computes all "
        "positions at once with a few large matrix products, which a GPU runs in parallel. The price: the "
        "T x T scores, 4 T^2 D FLOPs and T^2 memory per head, the largest term once T passes the width D."
    )


if __name__ == "__main__":
    main()
