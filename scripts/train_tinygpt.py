"""Train the small byte-level TinyGPT of data/tinygpt/ that the demos load (labs.reference.pretrained).

    python scripts/train_tinygpt.py [--steps 3000] [--rebuild-corpus]

The corpus is text this project ships: the seed notes, the cards, the labs' READMEs and hints, and the
reference model's and the labs' Python sources, in a fixed seeded order, frozen in data/tinygpt/corpus.txt
(`--rebuild-corpus` makes it again from the current files). The last tenth is held out. The default run
takes about 4 minutes on 2 quiet CPU cores; it prints the held-out loss of the saved (fp16) weights, which the
README quotes.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labs.reference import GPTConfig, TinyGPT  # noqa: E402
from labs.reference.pretrained import (  # noqa: E402
    VOCAB_SIZE,
    checkpoint_path,
    corpus_path,
    corpus_split,
    load_pretrained,
    mean_loss,
)

CORPUS_GLOBS = (
    "data/seed/*.md",
    "cards/*.md",
    "labs/*/README.md",
    "labs/*/hints.md",
    "labs/reference/model.py",
    "labs/*/solution.py",
    "labs/*/demo.py",
)
CONFIG = {"vocab_size": VOCAB_SIZE, "d_model": 96, "n_heads": 4, "n_layers": 3, "max_seq_len": 128}
SEED = 1234


def build_corpus() -> str:
    """Every corpus file, in an order fixed by SEED, separated by blank lines."""
    files = sorted({p for pattern in CORPUS_GLOBS for p in ROOT.glob(pattern)})
    random.Random(SEED).shuffle(files)
    return "\n\n".join(p.read_text(encoding="utf-8").strip() for p in files) + "\n"


def lr_at(step: int, steps: int, peak: float, warmup: int = 100) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(steps: int, batch: int, lr: float) -> TinyGPT:
    """AdamW on random windows of the training bytes; returns the trained model."""
    torch.manual_seed(SEED)
    train_ids, heldout = corpus_split()
    config = GPTConfig(**CONFIG)
    model = TinyGPT(config)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))  # fmt: skip
    T = config.max_seq_len
    g = torch.Generator().manual_seed(SEED)
    start = time.monotonic()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, steps, lr)
        starts = torch.randint(0, len(train_ids) - T - 1, (batch,), generator=g)
        rows = train_ids[starts[:, None] + torch.arange(T + 1)[None, :]]
        loss = F.cross_entropy(model(rows[:, :-1]).flatten(0, 1), rows[:, 1:].flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 250 == 0 or step == steps - 1:
            model.eval()
            held = mean_loss(model, heldout, T, max_windows=64)
            model.train()
            print(f"step {step:5d}  train {loss.item():.3f}  held-out {held:.3f}  {time.monotonic() - start:6.0f} s",
                  flush=True)  # fmt: skip
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--rebuild-corpus", action="store_true")
    args = parser.parse_args()
    corpus = corpus_path()
    if args.rebuild_corpus or not corpus.is_file():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        corpus.write_text(build_corpus(), encoding="utf-8")
    model = train(args.steps, args.batch, args.lr)
    state = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    meta = {"steps": args.steps, "batch": args.batch, "lr": args.lr, "seed": SEED, "torch": str(torch.__version__)}
    torch.save({"config": CONFIG, "state_dict": state, "meta": meta}, checkpoint_path())
    _, heldout = corpus_split()
    loaded = load_pretrained()
    loss = mean_loss(loaded, heldout, CONFIG["max_seq_len"])
    size = checkpoint_path().stat().st_size
    print(f"saved {checkpoint_path().relative_to(ROOT)} ({size / 2**20:.1f} MiB): held-out loss {loss:.3f} nats/byte "
          f"(perplexity {math.exp(loss):.2f}, {loss / math.log(2):.2f} bits/byte) on {len(heldout)} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
