"""Lab 6 starter: implement a KV cache, greedy generation that uses it, and its memory cost."""

from __future__ import annotations

from torch import Tensor, nn


class KVCache:
    """Per-layer keys and values, appended along time (dim 2).

    A model calls `update(layer, k, v)` once per layer per forward pass, and reads `seq_len` once, at
    the start of the forward pass, as the position of the first new token.
    """

    def __init__(self, n_layers: int) -> None:
        """An empty cache for a model with `n_layers` layers."""
        raise NotImplementedError

    @property
    def seq_len(self) -> int:
        """Positions seen so far: 0 when empty; after a forward pass on T new tokens it has grown by T."""
        raise NotImplementedError

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store k, v (B, H, T_new, d) for `layer`; return all of that layer's keys and values (B, H, T_all, d).

        The new entries come last along time (dim 2).
        """
        raise NotImplementedError


def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding with a KVCache: (B, P) -> (B, P + max_new_tokens).

    `model(idx, cache=cache)` returns logits (B, T, V) for the T tokens of idx; `model.config.n_layers`
    is its depth. Call it once with the whole prompt, then once per new token with only that token.
    """
    raise NotImplementedError


def kv_cache_bytes(
    n_layers: int, n_heads: int, head_dim: int, seq_len: int, batch: int, bytes_per_elem: int = 2
) -> int:
    """Bytes that the keys and values of `seq_len` positions take, over all layers, heads and batch rows."""
    raise NotImplementedError
