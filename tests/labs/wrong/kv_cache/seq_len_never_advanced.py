"""Wrong: seq_len is a counter that is never advanced, so new tokens get position 0.

Message: seq_len stays 0, so every new token gets position 0
"""

from __future__ import annotations

from unittest.mock import patch

from torch import Tensor, nn

from labs.kv_cache import solution
from labs.kv_cache.solution import kv_cache_bytes  # the correct part


class KVCache(solution.KVCache):
    """The solution's cache, but seq_len is a counter that update never advances."""

    seq_len = 0


def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """The solution's generate, building this file's KVCache."""
    with patch.object(solution, "KVCache", KVCache):
        return solution.generate(model, prompt, max_new_tokens)
