"""A small trained TinyGPT for the demos: byte-level, trained on text this project ships (data/tinygpt/).

`load_pretrained()` returns the model (float32, eval mode), `encode`/`decode` map text to byte ids and back,
and `heldout_tokens()` is the held-out tenth of the corpus the model never trained on. The checkpoint is
made by `python scripts/train_tinygpt.py`; it holds plain tensors and numbers, so it loads with
`torch.load(weights_only=True)`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from labs.reference.model import GPTConfig, TinyGPT

VOCAB_SIZE = 256  # one token per UTF-8 byte
HELDOUT_FRACTION = 0.1


def data_dir() -> Path:
    """$TRAINER_DATA, else the project's data/ (the same rule as trainer.paths, which labs may not import)."""
    env = os.environ.get("TRAINER_DATA")
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "data"


def checkpoint_path() -> Path:
    """The trained weights and their config."""
    return data_dir() / "tinygpt" / "tinygpt.pt"


def corpus_path() -> Path:
    """The text the model was trained on (its last tenth held out)."""
    return data_dir() / "tinygpt" / "corpus.txt"


def encode(text: str) -> Tensor:
    """UTF-8 bytes of `text` as a LongTensor of ids 0..255."""
    return torch.tensor(list(text.encode("utf-8")), dtype=torch.long)


def decode(ids: Tensor) -> str:
    """Text from byte ids (invalid UTF-8, e.g. a character cut in two, shows as U+FFFD)."""
    return bytes(int(i) for i in ids.tolist()).decode("utf-8", errors="replace")


def corpus_split() -> tuple[Tensor, Tensor]:
    """(train, held-out) byte ids: the held-out part is the corpus's last tenth."""
    ids = encode(corpus_path().read_text(encoding="utf-8"))
    cut = int(len(ids) * (1 - HELDOUT_FRACTION))
    return ids[:cut], ids[cut:]


def heldout_tokens() -> Tensor:
    """The byte ids the model never saw in training."""
    return corpus_split()[1]


def load_checkpoint(path: Path | None = None) -> dict[str, Any]:
    """The raw checkpoint: {"config": dict, "state_dict": tensors, "meta": dict}."""
    return torch.load(path or checkpoint_path(), map_location="cpu", weights_only=True)


def load_pretrained(device: torch.device | str = "cpu", path: Path | None = None) -> TinyGPT:
    """The trained TinyGPT in float32, eval mode, on `device`."""
    checkpoint = load_checkpoint(path)
    model = TinyGPT(GPTConfig(**checkpoint["config"]))
    model.load_state_dict({k: v.float() for k, v in checkpoint["state_dict"].items()})
    return model.eval().to(device)


@torch.no_grad()
def mean_loss(model: TinyGPT, ids: Tensor, seq_len: int, max_windows: int | None = None) -> float:
    """Mean next-byte cross-entropy (nats) over non-overlapping windows of `seq_len` + 1 bytes of `ids`."""
    n = (len(ids) - 1) // seq_len
    if max_windows is not None:
        n = min(n, max_windows)
    if n == 0:
        raise ValueError(f"{len(ids)} ids are too few for one window of {seq_len}")
    device = next(model.parameters()).device
    starts = torch.arange(n) * seq_len
    window = starts[:, None] + torch.arange(seq_len + 1)[None, :]  # (n, seq_len + 1)
    batch = ids[window].to(device)
    total = 0.0
    for rows in batch.split(16):
        logits = model(rows[:, :-1])
        total += float(F.cross_entropy(logits.flatten(0, 1), rows[:, 1:].flatten(), reduction="sum"))
    return total / (n * seq_len)
