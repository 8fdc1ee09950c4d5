"""Demo for card 4: h heads cost what one head of the same width costs, and a trained model's heads look at different
places at once."""

from __future__ import annotations

import math

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode

from labs.multi_head_attention.solution import MultiHeadAttention, split_heads
from labs.reference import TinyGPT, apply_rotary, causal_mask
from labs.reference.pretrained import encode, heldout_tokens, load_pretrained

D_MODEL, SEQ = 256, 128  # the cost table
EXAMPLE = "Why do Transformers need positional encodings? What are the pros and cons of learned versus sinusoidal encod"
WINDOW, N_WINDOWS = 128, 24  # held-out English text for the head statistics


def cost_table() -> Table:
    """Parameters and counted FLOPs of the solution's MultiHeadAttention for h = 1 .. 32 heads of width D / h."""
    table = Table(title=f"One forward pass, d_model = {D_MODEL}, T = {SEQ}, batch 1")
    for column in ("heads h", "d_head", "parameters", "FLOPs counted", "8TD² + 4T²D", "scores h·T²"):
        table.add_column(column, justify="right")
    x = torch.randn(1, SEQ, D_MODEL, generator=torch.Generator().manual_seed(0))
    formula = 8 * SEQ * D_MODEL**2 + 4 * SEQ**2 * D_MODEL  # projections + (q k^T and weights @ v)
    for h in (1, 2, 4, 8, 16, 32):
        module = MultiHeadAttention(D_MODEL, h)
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            module(x)
        params = sum(p.numel() for p in module.parameters())
        table.add_row(str(h), str(D_MODEL // h), f"{params:,}", f"{counter.get_total_flops():,}", f"{formula:,}",
                      f"{h * SEQ * SEQ:,}")  # fmt: skip
    return table


def attention_maps(model: TinyGPT, idx: Tensor) -> list[Tensor]:
    """Each layer's attention weights [B, H, T, T], recomputed from the inputs its attention receives."""
    maps: list[Tensor] = []

    def record(module: torch.nn.Module, args: tuple) -> None:
        x, (cos, sin) = args[0], args[1]
        q, k, _ = module.qkv(x).split(x.shape[-1], dim=2)
        q, k = (apply_rotary(split_heads(t, module.n_heads), cos, sin) for t in (q, k))  # (B, H, T, dh)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        maps.append(scores.masked_fill(~causal_mask(x.shape[1]), float("-inf")).softmax(dim=-1))

    hooks = [block.attn.register_forward_pre_hook(record) for block in model.h]
    with torch.no_grad():
        model(idx)
    for hook in hooks:
        hook.remove()
    return maps


def english_windows() -> Tensor:
    """Up to N_WINDOWS held-out windows of WINDOW bytes that are all ASCII (one byte, one character)."""
    ids = heldout_tokens()
    windows, start = [], 0
    while start + WINDOW <= len(ids) and len(windows) < N_WINDOWS:
        chunk = ids[start : start + WINDOW]
        wide = torch.nonzero(chunk >= 128)
        if len(wide) == 0:
            windows.append(chunk)
            start += WINDOW
        else:
            start += int(wide[-1]) + 1
    return torch.stack(windows)


def head_table(model: TinyGPT) -> tuple[Table, list[float]]:
    """Where each head's attention goes on held-out text, and how many distinct top keys a layer's heads pick."""
    batch = english_windows()
    maps = attention_maps(model, batch)
    table = Table(title=f"Trained TinyGPT, {len(batch)} held-out windows of {WINDOW} bytes: mean weight per query")
    for column in ("head", "itself", "1 back", "2 back", "3 back", "mean distance", "entropy"):
        table.add_column(column, justify="right")
    pos = torch.arange(WINDOW)
    back = (pos[:, None] - pos[None, :])[16:]  # queries with at least 16 keys before them
    distinct = []
    for layer, weights in enumerate(maps):
        w = weights[:, :, 16:]  # (B, H, T', T)
        for h in range(w.shape[1]):
            p = w[:, h]
            share = [float((p * (back == n)).sum(-1).mean()) for n in range(4)]
            distance = float((p * back.clamp(min=0)).sum(-1).mean())
            entropy = float(-(p * p.clamp_min(1e-12).log()).sum(-1).mean())
            table.add_row(f"L{layer}.H{h}", *(f"{s:.2f}" for s in share), f"{distance:.1f}", f"{entropy:.2f} nats",
                          end_section=h == w.shape[1] - 1)  # fmt: skip
        top = w.argmax(dim=-1)  # (B, H, T'): each head's strongest key
        distinct.append(float(torch.tensor([[len(set(top[b, :, t].tolist())) for t in range(top.shape[-1])]
                                             for b in range(top.shape[0])], dtype=torch.float).mean()))  # fmt: skip
    return table, distinct


def example_table(model: TinyGPT) -> Table:
    """For the last byte of EXAMPLE, the three keys each head weighs most."""
    maps = attention_maps(model, encode(EXAMPLE)[None])
    q = len(EXAMPLE) - 1
    table = Table(title=f"Query: the last byte of '…{EXAMPLE[-24:]}' ({EXAMPLE[q]!r}); the next byte is 'i'")
    for column in ("head", "top key", "2nd", "3rd"):
        table.add_column(column, justify="left")
    for layer, weights in enumerate(maps):
        for h in range(weights.shape[1]):
            top = weights[0, h, q].topk(3)
            cells = [f"{EXAMPLE[j]!r} {j - q:+d}  {v:.2f}" for v, j in zip(top.values.tolist(), top.indices.tolist(), strict=True)]
            table.add_row(f"L{layer}.H{h}", *cells, end_section=h == weights.shape[1] - 1)
    return table


def main() -> None:
    """Print the cost table, the head statistics and the example."""
    console = Console()
    console.print(cost_table())
    console.print(
        "Parameters and FLOPs do not depend on h: the four projections are the same D x D matrices, and h heads "
        "of width D/h compute h·T²·(D/h) = T²·D products for the scores, as one wide head does. What h changes: "
        "h softmaxes per query instead of one, and h score tables of T x T to hold (unless fused).\n"
    )
    model = load_pretrained()
    heads, distinct = head_table(model)
    console.print(heads)
    console.print(
        "Distinct positions among the strongest keys of a layer's 4 heads, per query: "
        + ", ".join(f"layer {i}: {d:.1f}" for i, d in enumerate(distinct))
        + ". One head has one softmax, so one weighted average per query; several heads read several places at "
        "once (the previous byte, two back, further back) and out_proj combines what they read.\n"
    )
    console.print(example_table(model))
    console.print("Each row is one head's own softmax over the same bytes: the heads of one layer pick different keys.")


if __name__ == "__main__":
    main()
