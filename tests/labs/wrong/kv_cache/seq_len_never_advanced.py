"""Wrong: seq_len is a counter that is never advanced, so new tokens get position 0."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class KVCache:
    """Per-layer keys and values, appended along time (dim 2).

    Convention: `seq_len` is the number of positions stored for layer 0. A model reads it once, before
    its first layer calls `update`, as the position of the first new token; after the forward pass it
    has grown by the number of new tokens.
    """

    def __init__(self, n_layers: int) -> None:
        self.keys: list[Tensor | None] = [None] * n_layers  # one entry per layer: (B, H, T_seen, d)
        self.values: list[Tensor | None] = [None] * n_layers
        self.seq_len = 0


    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, H, T_new, d) to this layer's cache; return all its keys and values (B, H, T_all, d)."""
        k_old, v_old = self.keys[layer], self.values[layer]
        if k_old is not None and v_old is not None:
            k = torch.cat([k_old, k], dim=2)
            v = torch.cat([v_old, v], dim=2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


@torch.no_grad()
def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding: one call on the whole prompt, then one call per new token, all through one cache."""
    if max_new_tokens <= 0:
        return prompt
    cache = KVCache(model.config.n_layers)
    logits = model(prompt, cache=cache)  # (B, P, V): prefill fills every layer's cache
    next_token = logits[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1)
    tokens = [prompt, next_token]
    for _ in range(max_new_tokens - 1):
        logits = model(next_token, cache=cache)  # (B, 1, V): only the newest token is computed
        next_token = logits[:, -1].argmax(dim=-1, keepdim=True)
        tokens.append(next_token)
    return torch.cat(tokens, dim=1)  # (B, P + max_new_tokens)


def kv_cache_bytes(
    n_layers: int, n_heads: int, head_dim: int, seq_len: int, batch: int, bytes_per_elem: int = 2
) -> int:
    """Bytes a full cache holds: a key and a value per layer, head, position and batch row."""
    return 2 * n_layers * n_heads * head_dim * seq_len * batch * bytes_per_elem
