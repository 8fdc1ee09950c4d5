"""Autograder for lab 6: KVCache.update and seq_len, cached greedy generate, kv_cache_bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from labs.grading import assert_close
from labs.reference import GPTConfig, TinyGPT
from labs.reference import KVCache as ReferenceCache

N_LAYERS, VOCAB = 2, 48
PROMPT_LEN, NEW_TOKENS = 5, 8


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _kv(seed: int, b: int = 2, h: int = 3, t: int = 4, d: int = 5) -> tuple[Tensor, Tensor]:
    """A key and a value (B, H, T, d) with distinct sizes, so a wrong concat dim changes the shape."""
    g = _gen(seed)
    return torch.randn(b, h, t, d, generator=g), torch.randn(b, h, t, d, generator=g)


# ----- caches that make the known mistakes, to name them in failure messages -----


class _SeqLenStuckAtZero(ReferenceCache):
    """seq_len never advances: every new token is placed at position 0."""

    @property
    def seq_len(self) -> int:
        return 0


class _SeqLenPerLayer(ReferenceCache):
    """seq_len grows on every layer's update: it counts layers x tokens."""

    @property
    def seq_len(self) -> int:
        return sum(0 if k is None else k.size(2) for k in self.keys)


class _SharedAcrossLayers(ReferenceCache):
    """One list of keys and values for all layers."""

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        return super().update(0, k, v)

    @property
    def seq_len(self) -> int:
        k0 = self.keys[0]
        return 0 if k0 is None else k0.size(2) // len(self.keys)


SEQ_LEN_ZERO = "a cache whose seq_len stays 0, so every new token gets position 0 (RoPE sees no offset)"
SEQ_LEN_PER_LAYER = "seq_len advanced on every layer's update (it counts n_layers x tokens, not positions)"
SHARED = "one cache shared by all layers (each layer must keep its own keys and values)"


# ----- the model -----


def _model(device: torch.device) -> TinyGPT:
    """The reference TinyGPT, seeded, with weights large enough that attention (and so RoPE) matters."""
    torch.manual_seed(0)
    model = TinyGPT(GPTConfig(vocab_size=VOCAB, d_model=32, n_heads=4, n_layers=N_LAYERS, max_seq_len=64))
    g = _gen(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return model.eval().to(device)


def _prompt(device: torch.device) -> Tensor:
    return torch.randint(0, VOCAB, (2, PROMPT_LEN), generator=_gen(100)).to(device)


@torch.no_grad()
def _greedy_uncached(model: nn.Module, prompt: Tensor, n: int) -> Tensor:
    """Greedy decoding that recomputes the whole sequence each step: the expected tokens."""
    seq = prompt
    for _ in range(n):
        logits = model(seq)[:, -1]  # (B, V)
        top2 = logits.topk(2, dim=-1).values
        assert float((top2[:, 0] - top2[:, 1]).min()) > 1e-4, "grader fixture: greedy choice too close to a tie"
        seq = torch.cat([seq, logits.argmax(dim=-1, keepdim=True)], dim=1)
    return seq


@torch.no_grad()
def _greedy_with(model: nn.Module, prompt: Tensor, n: int, cache: Any) -> Tensor:
    """Cached greedy decoding with a given (possibly wrong) cache."""
    token = model(prompt, cache)[:, -1].argmax(dim=-1, keepdim=True)
    out = [prompt, token]
    for _ in range(n - 1):
        token = model(token, cache)[:, -1].argmax(dim=-1, keepdim=True)
        out.append(token)
    return torch.cat(out, dim=1)


@torch.no_grad()
def _logits_with(model: nn.Module, tokens: Tensor, cache: Any) -> Tensor:
    """Prefill the prompt, then feed the rest one token at a time; all logits, concatenated over time."""
    steps = [model(tokens[:, :PROMPT_LEN], cache)]
    steps += [model(tokens[:, t : t + 1], cache) for t in range(PROMPT_LEN, tokens.size(1))]
    return torch.cat(steps, dim=1)


@torch.no_grad()
def _prompt_not_cached(model: nn.Module, prompt: Tensor) -> Tensor:
    """The mistake of calling model(prompt) without the cache, then decoding from an empty cache."""
    first = model(prompt)[:, -1].argmax(dim=-1, keepdim=True)
    return _greedy_with(model, first, NEW_TOKENS - 1, ReferenceCache(N_LAYERS))


def _only_if_wrong(got: Any, expected: Tensor, make: Callable[[], dict[str, Tensor]]) -> dict[str, Tensor]:
    """The known-mistake outputs, computed only when `got` does not already match (they cost model runs)."""
    comparable = isinstance(got, Tensor) and got.shape == expected.shape and got.device == expected.device
    if comparable and torch.allclose(got.to(expected.dtype), expected, atol=1e-5, rtol=1e-5):
        return {}
    return make()


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
    k, v = (t.to(device) for t in _kv(1))
    k_all, v_all = lab.KVCache(N_LAYERS).update(0, k, v)
    assert_close(k_all, k, name="keys returned by the first update")
    assert_close(v_all, v, name="values returned by the first update")


def test_update_appends_along_time_dim(lab: Any, device: torch.device) -> None:
    (k1, v1), (k2, v2) = ((k.to(device), v.to(device)) for k, v in (_kv(2), _kv(3)))
    cache = lab.KVCache(N_LAYERS)
    cache.update(0, k1, v1)
    k_all, v_all = cache.update(0, k2, v2)
    for got, old, new, what in ((k_all, k1, k2, "keys"), (v_all, v1, v2, "values")):
        mistakes = {
            f"{what} concatenated along dim {dim} (heads are dim 1, head features dim 3; time is dim 2)": torch.cat(
                [old, new], dim=dim
            )
            for dim in (0, 1, 3)
            if old.shape[:dim] + old.shape[dim + 1 :] == new.shape[:dim] + new.shape[dim + 1 :]
        }
        mistakes[f"the new {what} put first (they must come last, after the cached ones)"] = torch.cat([new, old], 2)
        mistakes[f"only the new {what} returned (the cached ones must come too)"] = new
        assert_close(got, torch.cat([old, new], dim=2), name=f"{what} after two updates", mistakes=mistakes)


def test_update_keeps_layers_apart(lab: Any, device: torch.device) -> None:
    (ka, va), (kb, vb), (kc, vc) = ((k.to(device), v.to(device)) for k, v in (_kv(4), _kv(5), _kv(6, t=1)))
    cache = lab.KVCache(N_LAYERS)
    cache.update(0, ka, va)
    cache.update(1, kb, vb)
    k_all, v_all = cache.update(0, kc, vc)
    shared = {f"{SHARED}: layer 0 got layer 1's entries too": torch.cat([ka, kb, kc], dim=2)}
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
        k, v = (x.to(device) for x in _kv(7 + t, t=t))
        for layer in range(n_layers):  # what one forward pass on t new tokens does
            cache.update(layer, k, v)
        seen += t
        got = int(cache.seq_len)
        hint = f": this looks like {SEQ_LEN_PER_LAYER}" if got == n_layers * seen else ""
        if got == 0:
            hint = ": seq_len was never advanced, so the model would put every new token at position 0"
        assert got == seen, f"after forward passes on {seen} tokens through {n_layers} layers, seq_len is {got}{hint}"


def test_cache_with_reference_model_matches_full_forward(lab: Any, device: torch.device) -> None:
    model = _model(device)
    tokens = torch.randint(0, VOCAB, (2, PROMPT_LEN + 4), generator=_gen(11)).to(device)
    with torch.no_grad():
        expected = model(tokens)
    got = _logits_with(model, tokens, lab.KVCache(N_LAYERS))
    mistakes = _only_if_wrong(got, expected, lambda: {
        SEQ_LEN_ZERO: _logits_with(model, tokens, _SeqLenStuckAtZero(N_LAYERS)),
        SEQ_LEN_PER_LAYER: _logits_with(model, tokens, _SeqLenPerLayer(N_LAYERS)),
        SHARED: _logits_with(model, tokens, _SharedAcrossLayers(N_LAYERS)),
    })  # fmt: skip
    assert_close(got, expected, name="logits of prefill + one token at a time", mistakes=mistakes)


# ----- generate -----


def test_generate_matches_uncached_greedy(lab: Any, device: torch.device) -> None:
    model, prompt = _model(device), _prompt(device)
    expected = _greedy_uncached(model, prompt, NEW_TOKENS)
    got = lab.generate(model, prompt, NEW_TOKENS)
    mistakes = _only_if_wrong(got, expected, lambda: {
        SEQ_LEN_ZERO: _greedy_with(model, prompt, NEW_TOKENS, _SeqLenStuckAtZero(N_LAYERS)),
        SEQ_LEN_PER_LAYER: _greedy_with(model, prompt, NEW_TOKENS, _SeqLenPerLayer(N_LAYERS)),
        SHARED: _greedy_with(model, prompt, NEW_TOKENS, _SharedAcrossLayers(N_LAYERS)),
        "the prompt was run without the cache, so the new tokens never saw it": torch.cat(
            [prompt, _prompt_not_cached(model, prompt)], dim=1
        ),
    })  # fmt: skip
    assert_close(got, expected, name="generated tokens (prompt, then greedy continuation)", mistakes=mistakes)


def test_generate_calls_model_on_prompt_then_one_token_per_call(lab: Any, device: torch.device) -> None:
    model = CountingModel(_model(device))
    lab.generate(model, _prompt(device), NEW_TOKENS)
    lengths = [t for t, _ in model.calls]
    expected = [PROMPT_LEN] + [1] * (NEW_TOKENS - 1)
    if lengths == [PROMPT_LEN + i for i in range(len(lengths))]:
        pytest.fail(
            f"the model saw T = {lengths} tokens per call: the whole sequence is recomputed every step. "
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
    model = CountingModel(_model(device))
    lab.generate(model, _prompt(device), 3)
    without = [i for i, (_, has_cache) in enumerate(model.calls) if not has_cache]
    assert model.calls, "generate never called the model"
    assert not without, f"model calls {without} of {len(model.calls)} got no cache: call model(idx, cache)"


def test_generate_returns_prompt_then_new_tokens(lab: Any, device: torch.device) -> None:
    model, prompt = _model(device), _prompt(device)
    got = lab.generate(model, prompt, 3)
    assert isinstance(got, Tensor), f"generate must return a Tensor, got {type(got).__name__}"
    assert tuple(got.shape) == (2, PROMPT_LEN + 3), f"expected shape (2, {PROMPT_LEN + 3}), got {tuple(got.shape)}"
    assert got.dtype == torch.long, f"token ids must be torch.long, got {got.dtype}"
    assert_close(got[:, :PROMPT_LEN], prompt, name="the prompt part of the output")


def test_generate_one_new_token_is_one_call(lab: Any, device: torch.device) -> None:
    model, prompt = CountingModel(_model(device)), _prompt(device)
    got = lab.generate(model, prompt, 1)
    assert_close(got, _greedy_uncached(model.model, prompt, 1), name="prompt + one greedy token")
    n_calls = len(model.calls)
    assert n_calls == 1, f"one new token needs one model call (the prompt), got {n_calls}"


# ----- kv_cache_bytes -----


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((2, 3, 4, 5, 6, 1), 2 * 2 * 3 * 4 * 5 * 6 * 1),
        ((32, 32, 128, 4096, 1, 2), 2 * 32 * 32 * 128 * 4096 * 2),  # a 7B llama at 4k context, fp16: 2 GiB
        ((12, 12, 64, 1024, 8, 4), 2 * 12 * 12 * 64 * 1024 * 8 * 4),
    ],
)
def test_kv_cache_bytes_formula(lab: Any, args: tuple[int, ...], expected: int) -> None:
    got = lab.kv_cache_bytes(*args)
    assert isinstance(got, int), f"kv_cache_bytes must return an int, got {type(got).__name__}"
    hint = ""
    if got * 2 == expected:
        hint = ": half the expected size, so only keys or only values were counted (the cache holds both)"
    elif got * args[-1] == expected:
        hint = ": bytes_per_elem was left out (that is an element count)"
    assert got == expected, f"kv_cache_bytes{args} = {got}, expected {expected}{hint}"


def test_kv_cache_bytes_defaults_to_two_bytes(lab: Any) -> None:
    got = lab.kv_cache_bytes(n_layers=1, n_heads=2, head_dim=8, seq_len=10, batch=3)
    expected = 2 * 1 * 2 * 8 * 10 * 3 * 2
    assert got == expected, f"with the default bytes_per_elem=2 (fp16), expected {expected}, got {got}"
