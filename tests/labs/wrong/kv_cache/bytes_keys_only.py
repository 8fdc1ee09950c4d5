"""Wrong: kv_cache_bytes counts only the keys (the factor 2 for values is missing).

Message: only keys or only values were counted
"""

from __future__ import annotations

from labs.kv_cache.solution import KVCache, generate  # the correct parts


def kv_cache_bytes(
    n_layers: int, n_heads: int, head_dim: int, seq_len: int, batch: int, bytes_per_elem: int = 2
) -> int:
    """Bytes a full cache holds: a key and a value per layer, head, position and batch row."""
    return n_layers * n_heads * head_dim * seq_len * batch * bytes_per_elem
