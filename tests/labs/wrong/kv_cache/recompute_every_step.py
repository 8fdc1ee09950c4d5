"""Wrong: generate recomputes the whole sequence every step instead of feeding one token.

Message: the whole sequence is recomputed every step
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
    seq = prompt
    for _ in range(max_new_tokens):
        logits = model(seq, cache=KVCache(model.config.n_layers))  # the whole sequence, every step
        seq = torch.cat([seq, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
    return seq
