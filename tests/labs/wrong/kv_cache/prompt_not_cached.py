"""Wrong: the prompt is run without the cache, so later tokens decode from an empty cache.

Message: the prompt was run without the cache
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from labs.kv_cache.solution import KVCache, kv_cache_bytes  # the correct parts


@torch.no_grad()
def generate(model: nn.Module, prompt: Tensor, max_new_tokens: int) -> Tensor:
    """Greedy decoding: one call on the whole prompt, then one call per new token, all through one cache."""
    if max_new_tokens <= 0:
        return prompt
    cache = KVCache(model.config.n_layers)
    next_token = model(prompt)[:, -1].argmax(dim=-1, keepdim=True)  # (B, 1): the cache stays empty
    tokens = [prompt, next_token]
    for _ in range(max_new_tokens - 1):
        next_token = model(next_token, cache=cache)[:, -1].argmax(dim=-1, keepdim=True)
        tokens.append(next_token)
    return torch.cat(tokens, dim=1)  # (B, P + max_new_tokens)
