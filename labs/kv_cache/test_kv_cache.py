"""Autograder for lab 6: KVCache.update and seq_len, cached greedy generate, kv_cache_bytes."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from labs.grading import assert_close, assert_count, looks_like, require, seeded_ints, seeded_many
from labs.kv_cache import mistakes
from labs.reference import GPTConfig, TinyGPT

N_LAYERS, VOCAB = 2, 48
PROMPT_LEN, NEW_TOKENS = 5, 8


def kv(seed: int, device: torch.device, t: int = 4) -> list[Tensor]:
    """A key and a value [B=2, H=3, T=t, d=5]: distinct sizes, so a wrong concat dim changes the shape."""
    return seeded_many([(2, 3, t, 5)] * 2, seed, device)


def reference_model(device: torch.device) -> TinyGPT:
    """The reference TinyGPT, seeded, with weights large enough that attention (and so RoPE) matters."""
    torch.manual_seed(0)
    model = TinyGPT(GPTConfig(vocab_size=VOCAB, d_model=32, n_heads=4, n_layers=N_LAYERS, max_seq_len=64))
    matrices = [p for p in model.parameters() if p.dim() == 2]
    with torch.no_grad():
        for p, value in zip(matrices, seeded_many([tuple(p.shape) for p in matrices], seed=0), strict=True):
            p.copy_(value * 0.3)
    return model.eval().to(device)


def prompt(device: torch.device) -> Tensor:
    return seeded_ints((2, PROMPT_LEN), VOCAB, seed=100, device=device)


@torch.no_grad()
def greedy_uncached(model: nn.Module, prompt: Tensor, n: int) -> Tensor:
    """Greedy decoding that recomputes the whole sequence each step: the expected tokens."""
    seq = prompt
    for _ in range(n):
        logits = model(seq)[:, -1]  # (B, V)
        top2 = logits.topk(2, dim=-1).values
        assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4, "grader fixture: greedy choice too close to a tie"
        seq = torch.cat([seq, logits.argmax(dim=-1, keepdim=True)], dim=1)
    return seq


class CountingModel(nn.Module):
    """Wraps the reference model and records, per call, the number of tokens and whether a cache came."""

    def __init__(self, model: TinyGPT) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.calls: list[tuple[int, bool]] = []

    def forward(self, idx: Tensor, cache: Any = None) -> Tensor:
        """Record (T, cache given) and run the model."""
        self.calls.append((idx.size(1), cache is not None))
        return self.model(idx, cache)


# ----- KVCache.update -----


def test_update_returns_the_first_entries(lab: Any, device: torch.device) -> None:
    k, v = kv(1, device)
    k_all, v_all = lab.KVCache(N_LAYERS).update(0, k, v)
    assert_close(k_all, k, name="keys returned by the first update")
    assert_close(v_all, v, name="values returned by the first update")


@pytest.mark.parametrize("what", ["keys", "values"])
def test_update_appends_along_time_dim(lab: Any, device: torch.device, what: str) -> None:
    (k1, v1), (k2, v2) = kv(2, device), kv(3, device)
    cache = lab.KVCache(N_LAYERS)
    cache.update(0, k1, v1)
    k_all, v_all = cache.update(0, k2, v2)
    got, old, new = (k_all, k1, k2) if what == "keys" else (v_all, v1, v2)
    assert_close(got, torch.cat([old, new], dim=2), name=f"{what} after two updates",
                 mistakes=lambda: mistakes.concat_mistakes(old, new, what))  # fmt: skip


def test_update_keeps_layers_apart(lab: Any, device: torch.device) -> None:
    (ka, va), (kb, vb), (kc, vc) = kv(4, device), kv(5, device), kv(6, device, t=1)
    cache = lab.KVCache(N_LAYERS)
    cache.update(0, ka, va)
    cache.update(1, kb, vb)
    k_all, v_all = cache.update(0, kc, vc)
    shared = {f"{mistakes.SHARED}: layer 0 got layer 1's entries too": torch.cat([ka, kb, kc], dim=2)}
    assert_close(k_all, torch.cat([ka, kc], dim=2), name="layer 0 keys", mistakes=shared)
    assert_close(v_all, torch.cat([va, vc], dim=2), name="layer 0 values")
    k1, v1 = cache.update(1, kc, vc)
    assert_close(k1, torch.cat([kb, kc], dim=2), name="layer 1 keys")
    assert_close(v1, torch.cat([vb, vc], dim=2), name="layer 1 values")


# ----- KVCache.seq_len -----


def test_seq_len_starts_at_zero(lab: Any) -> None:
    assert lab.KVCache(N_LAYERS).seq_len == 0, "an empty cache has seen 0 positions"


def test_seq_len_counts_positions_not_layers(lab: Any, device: torch.device) -> None:
    n_layers = 3
    cache = lab.KVCache(n_layers)
    seen = 0
    for t in (4, 1, 1):
        k, v = kv(7 + t, device, t=t)
        for layer in range(n_layers):  # what one forward pass on t new tokens does
            cache.update(layer, k, v)
        seen += t
        got = int(cache.seq_len)
        hint = next((looks_like(d) for d, n in mistakes.seq_len_mistakes(seen, n_layers).items() if n == got), "")
        require(got == seen, f"after forward passes on {seen} tokens through {n_layers} layers, seq_len is {got}{hint}")


def test_cache_with_reference_model_matches_full_forward(lab: Any, device: torch.device) -> None:
    model = reference_model(device)
    tokens = seeded_ints((2, PROMPT_LEN + 4), VOCAB, seed=11, device=device)
    with torch.no_grad():
        expected = model(tokens)
    got = mistakes.logits_with(model, tokens, PROMPT_LEN, lab.KVCache(N_LAYERS))
    assert_close(got, expected, name="logits of prefill + one token at a time",
                 mistakes=lambda: mistakes.logits_mistakes(model, tokens, PROMPT_LEN, N_LAYERS))  # fmt: skip


# ----- generate -----


def test_generate_matches_uncached_greedy(lab: Any, device: torch.device) -> None:
    model, start = reference_model(device), prompt(device)
    expected = greedy_uncached(model, start, NEW_TOKENS)
    got = lab.generate(model, start, NEW_TOKENS)
    assert_close(got, expected, name="generated tokens (prompt, then greedy continuation)",
                 mistakes=lambda: mistakes.generate_mistakes(model, start, NEW_TOKENS, N_LAYERS))  # fmt: skip


def test_generate_calls_model_on_prompt_then_one_token_per_call(lab: Any, device: torch.device) -> None:
    model = CountingModel(reference_model(device))
    lab.generate(model, prompt(device), NEW_TOKENS)
    lengths = [t for t, _ in model.calls]
    expected = [PROMPT_LEN] + [1] * (NEW_TOKENS - 1)
    if lengths == [PROMPT_LEN + i for i in range(len(lengths))]:
        pytest.fail(
            f"the model saw T = {lengths} tokens per call: {mistakes.RECOMPUTE}. "
            "After the prompt, feed only the newest token; the cache supplies the past.",
            pytrace=False,
        )
    assert lengths[:1] == [PROMPT_LEN], f"the first call must take the whole prompt (T={PROMPT_LEN}); T: {lengths}"
    assert len(lengths) <= NEW_TOKENS, (
        f"{len(lengths)} model calls for {NEW_TOKENS} new tokens: the prompt call already gives the first new "
        "token, so at most max_new_tokens calls are needed"
    )
    assert lengths == expected, f"tokens per call: expected {expected}, got {lengths}"


def test_generate_passes_a_cache_on_every_call(lab: Any, device: torch.device) -> None:
    model = CountingModel(reference_model(device))
    lab.generate(model, prompt(device), 3)
    without = [i for i, (_, has_cache) in enumerate(model.calls) if not has_cache]
    assert model.calls, "generate never called the model"
    assert not without, f"model calls {without} of {len(model.calls)} got no cache: call model(idx, cache)"


def test_generate_returns_prompt_then_new_tokens(lab: Any, device: torch.device) -> None:
    model, start = reference_model(device), prompt(device)
    got = lab.generate(model, start, 3)
    assert isinstance(got, Tensor), f"generate must return a Tensor, got {type(got).__name__}"
    assert tuple(got.shape) == (2, PROMPT_LEN + 3), f"expected shape (2, {PROMPT_LEN + 3}), got {tuple(got.shape)}"
    assert got.dtype == torch.long, f"token ids must be torch.long, got {got.dtype}"
    assert_close(got[:, :PROMPT_LEN], start, name="the prompt part of the output")


def test_generate_one_new_token_is_one_call(lab: Any, device: torch.device) -> None:
    model, start = CountingModel(reference_model(device)), prompt(device)
    got = lab.generate(model, start, 1)
    assert_close(got, greedy_uncached(model.model, start, 1), name="prompt + one greedy token")
    n_calls = len(model.calls)
    assert n_calls == 1, f"one new token needs one model call (the prompt), got {n_calls}"


# ----- kv_cache_bytes -----


@pytest.mark.parametrize(
    "args",
    [
        (2, 3, 4, 5, 6, 1),
        (32, 32, 128, 4096, 1, 2),  # a 7B llama at 4k context, fp16: 2 GiB
        (12, 12, 64, 1024, 8, 4),
    ],
)
def test_kv_cache_bytes_formula(lab: Any, args: tuple[int, ...]) -> None:
    n_layers, n_heads, head_dim, seq_len, batch, bytes_per_elem = args
    expected = 2 * n_layers * n_heads * head_dim * seq_len * batch * bytes_per_elem
    assert_count(lab.kv_cache_bytes(*args), expected, name=f"kv_cache_bytes{args}",
                 mistakes=mistakes.bytes_mistakes(args))  # fmt: skip


def test_kv_cache_bytes_defaults_to_two_bytes(lab: Any) -> None:
    got = lab.kv_cache_bytes(n_layers=1, n_heads=2, head_dim=8, seq_len=10, batch=3)
    assert_count(got, 2 * 1 * 2 * 8 * 10 * 3 * 2, name="kv_cache_bytes with the default bytes_per_elem=2 (fp16)")
