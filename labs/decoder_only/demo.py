"""Demo for card 19: under a causal mask, one forward pass scores every position of a sequence.

Three parts: the training signals one sequence yields under each pre-training objective (counted from the
labels each objective builds); the trained byte-level TinyGPT's loss at every position from one pass over
held-out text; and the lab's DecoderBlock showing why that is honest (earlier outputs never see later tokens).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table
from torch import Tensor

from labs.decoder_only import solution
from labs.decoder_only.solution import DecoderBlock
from labs.reference.pretrained import heldout_tokens, load_pretrained

T = 128  # the trained model's context
IGNORE = -100  # label of a position without a loss, as in PyTorch's cross_entropy


def windows(ids: Tensor, length: int) -> Tensor:
    """Non-overlapping windows [n, length] of a 1-D id tensor."""
    n = len(ids) // length
    return ids[: n * length].view(n, length)


def causal_lm_labels(x: Tensor) -> Tensor:
    """GPT: position t predicts token t + 1; only the last position has no target."""
    labels = torch.full_like(x, IGNORE)
    labels[:, :-1] = x[:, 1:]
    return labels


def mlm_labels(x: Tensor, generator: torch.Generator, p: float = 0.15) -> Tensor:
    """BERT: about 15% of the positions are chosen, and only they are scored."""
    chosen = torch.rand(x.shape, generator=generator) < p
    return torch.where(chosen, x, torch.full_like(x, IGNORE))


def span_corruption_targets(length: int, density: float = 0.15, mean_span: float = 3.0) -> tuple[int, int]:
    """T5 (encoder-decoder): (decoder targets, text tokens among them): each span's sentinel and tokens, a final
    sentinel and eos, for round(length * density) noise tokens in round(noise / mean_span) spans."""
    noise = round(length * density)
    spans = max(1, round(noise / mean_span))
    return noise + spans + 2, noise


def signal_table(x: Tensor) -> Table:
    """Loss terms per sequence of T tokens, counted from the labels of each objective."""
    n = x.size(0)
    causal = int((causal_lm_labels(x) != IGNORE).sum()) / n
    mlm = int((mlm_labels(x, torch.Generator().manual_seed(0)) != IGNORE).sum()) / n
    t5_targets, t5_text = span_corruption_targets(T)
    table = Table(title=f"Loss terms from one sequence of T = {T} tokens (mean of {n})")
    for col, justify in (("objective (model)", "left"), ("loss terms", "right"), ("text tokens", "right"),
                         ("share of T", "right")):  # fmt: skip
        table.add_column(col, justify=justify)
    rows = [
        ("next token, causal mask (GPT)", causal, causal),
        ("masked LM, 15% (BERT encoder)", mlm, mlm),
        ("span corruption (T5 enc-dec)", t5_targets, t5_text),
        ("seq2seq, half in / half out", T / 2, T / 2),
    ]
    for name, terms, text in rows:
        table.add_row(name, f"{terms:.1f}", f"{text:.1f}", f"{text / T:.0%}")
    return table


@torch.no_grad()
def position_table(x: Tensor) -> tuple[Table, int]:
    """The trained TinyGPT's mean loss by position, all from one forward pass per batch of windows."""
    model = load_pretrained()
    logits = torch.cat([model(rows[:, :-1]) for rows in x.split(32)])  # (n, T - 1, V): one pass per batch
    loss = F.cross_entropy(logits.transpose(1, 2), x[:, 1:], reduction="none")  # (n, T - 1): a loss everywhere
    table = Table(title="Trained byte-level TinyGPT: loss at every position, one pass")
    for col in ("positions", "context (bytes)", "mean loss (nats)", "bits / byte"):
        table.add_column(col, justify="right")
    for lo, hi in ((0, 1), (1, 2), (2, 4), (4, 8), (8, 16), (16, 32), (32, 64), (64, T - 1)):
        mean = float(loss[:, lo:hi].mean())
        table.add_row(f"{lo}-{hi - 1}" if hi - lo > 1 else str(lo), f"{lo + 1}-{hi}" if hi - lo > 1 else str(lo + 1),
                      f"{mean:.2f}", f"{mean / 0.6931:.2f}")  # fmt: skip
    return table, loss.numel()


@torch.no_grad()
def leak(x: Tensor, cut: int) -> tuple[float, float]:
    """Largest change of the outputs before `cut` when only the tokens from `cut` on change: causal, then unmasked."""
    torch.manual_seed(0)
    block = DecoderBlock(64, 4, 256).eval()
    changed = x.clone()
    changed[:, cut:] = torch.randn(changed[:, cut:].shape, generator=torch.Generator().manual_seed(1))
    causal = float((block(changed)[:, :cut] - block(x)[:, :cut]).abs().max())
    original = solution.causal_mask
    solution.causal_mask = lambda n: torch.ones(n, n, dtype=torch.bool)  # the same block with nothing hidden
    try:
        unmasked = float((block(changed)[:, :cut] - block(x)[:, :cut]).abs().max())
    finally:
        solution.causal_mask = original
    return causal, unmasked


def main() -> None:
    """Print both tables and the causality check."""
    torch.set_num_threads(1)
    console = Console()
    x = windows(heldout_tokens(), T)
    console.print(signal_table(x))
    console.print(
        "Every position of a decoder-only model is a next-token problem, so one sequence gives T - 1 loss "
        "terms; BERT scores only the ~15% it masked, and T5's decoder only the corrupted spans.\n"
    )
    table, n_losses = position_table(x)
    console.print(table)
    console.print(
        f"{n_losses:,} losses from {x.size(0)} windows: each position is a training example whose context is "
        "everything before it, and the more context, the lower the loss.\n"
    )
    causal, unmasked = leak(torch.randn(2, 16, 64, generator=torch.Generator().manual_seed(2)), cut=8)
    console.print(
        "This lab's DecoderBlock, tokens 8-15 replaced: outputs 0-7 moved by "
        f"{causal:.1e} with the causal mask, {unmasked:.2f} without it. Without the mask, position t would see "
        "token t+1, its own target, and the loss would teach copying."
    )


if __name__ == "__main__":
    main()
