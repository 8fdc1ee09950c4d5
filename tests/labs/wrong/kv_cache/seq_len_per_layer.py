"""Wrong: seq_len is advanced on every layer's update, so it counts n_layers x tokens.

Message: seq_len advanced on every layer's update
"""

from __future__ import annotations

from unittest.mock import patch

from torch import Tensor, nn

from labs.kv_cache import solution
from labs.kv_cache.solution import kv_cache_bytes  # the correct part


class KVCache(solution.KVCache):
    """The solution's cache, but seq_len is a counter that every layer's update advances."""

    seq_len = 0

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, H, T_new, d) to this layer's cache; return all its keys and values (B, H, T_all, d)."""
        self.seq_len += k.size(2)
        return super().update(layer, k, v)


def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """The solution's generate, building this file's KVCache."""
    with patch.object(solution, "KVCache", KVCache):
        return solution.generate(model, prompt, max_new_tokens)
