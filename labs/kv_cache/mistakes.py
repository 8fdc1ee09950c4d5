"""Known wrong answers of lab 6, rebuilt from the reference model so that failure messages can name them."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from labs.reference import KVCache as ReferenceCache

SEQ_LEN_ZERO = "a cache whose seq_len stays 0, so every new token gets position 0 (RoPE sees no offset)"
SEQ_LEN_PER_LAYER = "seq_len advanced on every layer's update (it counts n_layers x tokens, not positions)"
SHARED = "one cache shared by all layers (each layer must keep its own keys and values)"
PROMPT_NOT_CACHED = "the prompt was run without the cache, so the new tokens never saw it"
RECOMPUTE = "the whole sequence is recomputed every step"
KEYS_ONLY = "only keys or only values were counted (the cache holds both: a factor 2)"
NO_BYTES = "bytes_per_elem was left out (that is an element count)"


class SeqLenStuckAtZero(ReferenceCache):
    """seq_len never advances: every new token is placed at position 0."""

    @property
    def seq_len(self) -> int:
        return 0


class SeqLenPerLayer(ReferenceCache):
    """seq_len grows on every layer's update: it counts layers x tokens."""

    @property
    def seq_len(self) -> int:
        return sum(0 if k is None else k.size(2) for k in self.keys)


class SharedAcrossLayers(ReferenceCache):
    """One list of keys and values for all layers."""

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        return super().update(0, k, v)

    @property
    def seq_len(self) -> int:
        k0 = self.keys[0]
        return 0 if k0 is None else k0.size(2) // len(self.keys)


WRONG_CACHES = {SEQ_LEN_ZERO: SeqLenStuckAtZero, SEQ_LEN_PER_LAYER: SeqLenPerLayer, SHARED: SharedAcrossLayers}


def concat_mistakes(old: Tensor, new: Tensor, what: str) -> dict[str, Tensor]:
    """What a second `update` returns when the concatenation is wrong (`what`: "keys" or "values")."""
    mistakes = {
        f"{what} concatenated along dim {dim} (heads are dim 1, head features dim 3; time is dim 2)": torch.cat(
            [old, new], dim=dim
        )
        for dim in (0, 1, 3)
        if old.shape[:dim] + old.shape[dim + 1 :] == new.shape[:dim] + new.shape[dim + 1 :]
    }
    mistakes[f"the new {what} put first (they must come last, after the cached ones)"] = torch.cat([new, old], 2)
    mistakes[f"only the new {what} returned (the cached ones must come too)"] = new
    return mistakes


@torch.no_grad()
def greedy_with(model: nn.Module, prompt: Tensor, n: int, cache: Any) -> Tensor:
    """Cached greedy decoding with a given (possibly wrong) cache."""
    token = model(prompt, cache)[:, -1].argmax(dim=-1, keepdim=True)
    out = [prompt, token]
    for _ in range(n - 1):
        token = model(token, cache)[:, -1].argmax(dim=-1, keepdim=True)
        out.append(token)
    return torch.cat(out, dim=1)


@torch.no_grad()
def logits_with(model: nn.Module, tokens: Tensor, prompt_len: int, cache: Any) -> Tensor:
    """Prefill the first `prompt_len` tokens, then feed the rest one at a time; all logits along time."""
    steps = [model(tokens[:, :prompt_len], cache)]
    steps += [model(tokens[:, t : t + 1], cache) for t in range(prompt_len, tokens.size(1))]
    return torch.cat(steps, dim=1)


def logits_mistakes(model: nn.Module, tokens: Tensor, prompt_len: int, n_layers: int) -> dict[str, Tensor]:
    """Logits of prefill + one-token steps through each wrong cache."""
    return {d: logits_with(model, tokens, prompt_len, wrong(n_layers)) for d, wrong in WRONG_CACHES.items()}


def generate_mistakes(model: nn.Module, prompt: Tensor, n: int, n_layers: int) -> dict[str, Tensor]:
    """Tokens that generate returns with each wrong cache, or with the prompt run outside the cache."""
    mistakes = {d: greedy_with(model, prompt, n, wrong(n_layers)) for d, wrong in WRONG_CACHES.items()}
    with torch.no_grad():
        first = model(prompt)[:, -1].argmax(dim=-1, keepdim=True)
    mistakes[PROMPT_NOT_CACHED] = torch.cat([prompt, greedy_with(model, first, n - 1, ReferenceCache(n_layers))], 1)
    return mistakes


def seq_len_mistakes(seen: int, n_layers: int) -> dict[str, int]:
    """seq_len after `seen` positions through `n_layers` layers, under each counting mistake."""
    return {
        "seq_len never advanced, so the model would put every new token at position 0": 0,
        SEQ_LEN_PER_LAYER: n_layers * seen,
    }


def bytes_mistakes(args: tuple[int, ...]) -> dict[str, int]:
    """kv_cache_bytes(*args) under each counting mistake."""
    n_layers, n_heads, head_dim, seq_len, batch, bytes_per_elem = args
    elements = n_layers * n_heads * head_dim * seq_len * batch
    return {KEYS_ONLY: elements * bytes_per_elem, NO_BYTES: 2 * elements}
