"""Lab 19 starter: decoder_only. SCAFFOLD: say what it asks."""

from __future__ import annotations

from torch import Tensor, nn


def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: the lower triangle with the diagonal."""
    raise NotImplementedError


class DecoderBlock(nn.Module):
    """A pre-LN GPT block: ln_1, attn (qkv, proj), ln_2, mlp (fc, proj)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        """The block's layers, named as labs.reference.DecoderBlock's."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D], causal."""
        raise NotImplementedError
