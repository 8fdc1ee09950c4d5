"""Demo for card 6: a KV cache turns generation from quadratic to linear work; its memory grows linearly."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor, nn

from labs.kv_cache.solution import generate, kv_cache_bytes
from labs.reference import GPTConfig, TinyGPT
from labs.reference.pretrained import decode, heldout_tokens, load_pretrained

PROMPT_LEN = 32


class CallCounter(nn.Module):
    """Wraps a model and counts its calls and the tokens it processed (the sum of T over calls)."""

    def __init__(self, model: TinyGPT) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.calls = 0
        self.tokens = 0

    def forward(self, idx: Tensor, cache: object = None) -> Tensor:
        """Count, then run the wrapped model."""
        self.calls += 1
        self.tokens += idx.size(1)
        return self.model(idx, cache)


@torch.no_grad()
def generate_uncached(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding that recomputes the whole sequence for every new token."""
    seq = prompt
    for _ in range(max_new_tokens):
        next_token = model(seq)[:, -1].argmax(dim=-1, keepdim=True)
        seq = torch.cat([seq, next_token], dim=1)
    return seq


def _timed(
    fn: Callable[[nn.Module, Tensor, int], Tensor], model: TinyGPT, prompt: Tensor, n: int
) -> tuple[Tensor, float, CallCounter]:
    counter = CallCounter(model)
    start = time.perf_counter()
    out = fn(counter, prompt, n)
    return out, time.perf_counter() - start, counter


def _bytes(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n < 1024**2 else f"{n / 1024**2:.1f} MiB"


def trained_continuation(prompt_bytes: int = 48, new_bytes: int = 64) -> tuple[str, str, bool]:
    """A held-out line of this project's text, the trained TinyGPT's cached continuation, and cached == uncached."""
    model = load_pretrained()
    lines = decode(heldout_tokens()).splitlines()
    line = next(ln for ln in lines if len(ln) >= prompt_bytes and ln.isascii() and ln[:1].isalpha())
    prompt = torch.tensor(list(line[:prompt_bytes].encode()))[None]  # (1, P): an English line, one byte per id
    cached = generate(model, prompt, new_bytes)
    same = torch.equal(cached, generate_uncached(model, prompt, new_bytes))
    return decode(prompt[0]), decode(cached[0, prompt_bytes:]), same


def main() -> None:
    """Print cached vs uncached greedy generation for growing numbers of new tokens."""
    torch.set_num_threads(1)  # tiny matrices: one thread is faster and steadier than several
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=256, d_model=192, n_heads=4, n_layers=2, max_seq_len=512)
    model = TinyGPT(config).eval()
    prompt = torch.randint(0, config.vocab_size, (1, PROMPT_LEN), generator=torch.Generator().manual_seed(0))
    title = f"Greedy decoding, TinyGPT ({config.n_layers} layers, d_model {config.d_model}), prompt {PROMPT_LEN}, fp32"
    table = Table(title=title)
    for column in ("new tokens", "mode", "wall time", "calls", "tokens run", "speed-up", "KV cache"):
        table.add_column(column, justify="right")
    all_same = True
    for n in (16, 64, 160):
        slow, t_slow, c_slow = _timed(generate_uncached, model, prompt, n)
        fast, t_fast, c_fast = _timed(generate, model, prompt, n)
        all_same = all_same and torch.equal(slow, fast)
        cache = kv_cache_bytes(config.n_layers, config.n_heads, config.head_dim, PROMPT_LEN + n - 1, 1, 4)
        table.add_row(str(n), "no cache", f"{t_slow * 1000:.0f} ms", str(c_slow.calls), str(c_slow.tokens), "", "-")
        table.add_row(
            "", "KV cache", f"{t_fast * 1000:.0f} ms", str(c_fast.calls), str(c_fast.tokens), f"{t_slow / t_fast:.1f}x",
            _bytes(cache), end_section=True,
        )
    console = Console()
    console.print(table)
    console.print(f"Cached and uncached decoding produced the same tokens at every length: {all_same}.")
    console.print(
        "Without a cache, step t reruns all P + t positions: tokens run grow as n^2 / 2. With a cache, "
        "each step processes one token and attends to the stored keys and values, which grow linearly: "
        "2 x layers x heads x head_dim x length x batch x bytes."
    )
    prompt, continuation, same = trained_continuation()
    console.print("\nThe trained byte-level TinyGPT of data/tinygpt, on a held-out line it never saw:")
    console.print(f"  prompt:    {prompt!r}")
    console.print(f"  generated: {continuation!r}")
    console.print(f"  the same bytes without the cache: {same}")


if __name__ == "__main__":
    main()
