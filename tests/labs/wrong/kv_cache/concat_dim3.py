"""Wrong: keys and values are concatenated along the last dim (head features) instead of time.

Message: keys concatenated along dim 3
"""

from __future__ import annotations

from unittest.mock import patch

import torch
from torch import Tensor, nn

from labs.kv_cache import solution
from labs.kv_cache.solution import kv_cache_bytes  # the correct part


class KVCache(solution.KVCache):
    """The solution's cache with a wrong update."""

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, H, T_new, d) to this layer's cache; return all its keys and values (B, H, T_all, d)."""
        k_old, v_old = self.keys[layer], self.values[layer]
        if k_old is not None and v_old is not None:
            k = torch.cat([k_old, k], dim=-1)
            v = torch.cat([v_old, v], dim=-1)
        self.keys[layer], self.values[layer] = k, v
        return k, v


def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """The solution's generate, building this file's KVCache."""
    with patch.object(solution, "KVCache", KVCache):
        return solution.generate(model, prompt, max_new_tokens)
