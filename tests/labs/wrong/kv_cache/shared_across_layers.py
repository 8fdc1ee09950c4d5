"""Wrong: one list of keys and values is shared by every layer ([[]] * n_layers).

Message: one cache shared by all layers
"""

from __future__ import annotations

from unittest.mock import patch

import torch
from torch import Tensor, nn

from labs.kv_cache import solution
from labs.kv_cache.solution import kv_cache_bytes  # the correct part


class KVCache(solution.KVCache):
    """The solution's cache rebuilt on lists, one of which every layer shares."""

    def __init__(self, n_layers: int) -> None:
        self.keys: list[list[Tensor]] = [[]] * n_layers  # the same list object n_layers times
        self.values: list[list[Tensor]] = [[]] * n_layers
        self.n_layers = n_layers

    @property
    def seq_len(self) -> int:
        """Positions seen so far."""
        return sum(k.size(2) for k in self.keys[0]) // self.n_layers

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, H, T_new, d) to this layer's cache; return all its keys and values (B, H, T_all, d)."""
        self.keys[layer].append(k)
        self.values[layer].append(v)
        return torch.cat(self.keys[layer], dim=2), torch.cat(self.values[layer], dim=2)


def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """The solution's generate, building this file's KVCache."""
    with patch.object(solution, "KVCache", KVCache):
        return solution.generate(model, prompt, max_new_tokens)
