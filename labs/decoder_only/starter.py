"""Lab 19 starter: the causal mask and a pre-LN GPT decoder block (the block that decoder-only LLMs stack).

The block must have the parameter names of `labs.reference.DecoderBlock`, so that its `state_dict` loads
into yours:

    ln_1.weight, ln_1.bias                 LayerNorm(d_model)
    attn.qkv.weight, attn.qkv.bias         nn.Linear(d_model, 3 * d_model): q, then k, then v
    attn.proj.weight, attn.proj.bias       nn.Linear(d_model, d_model)
    ln_2.weight, ln_2.bias                 LayerNorm(d_model)
    mlp.fc.weight, mlp.fc.bias             nn.Linear(d_model, d_ff)
    mlp.proj.weight, mlp.proj.bias         nn.Linear(d_ff, d_model)

`attn` and `mlp` are modules of their own: write a small nn.Module class for each (you may add classes and
helper functions to this file).
"""

from __future__ import annotations

from torch import Tensor, nn


def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: the lower triangle with the diagonal.

    Entry [i, j] is True when query i may attend key j, that is when j <= i. Return it on the CPU.
    """
    raise NotImplementedError


class DecoderBlock(nn.Module):
    """A pre-LN GPT block: ln_1, attn (qkv, proj), ln_2, mlp (fc, proj)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        """The block's layers, named as labs.reference.DecoderBlock's (see the table at the top of this file)."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """[B, T, D] -> [B, T, D], causal: x + attn(ln_1(x)), then x + mlp(ln_2(x)).

        attn: multi-head self-attention with n_heads heads of size D / n_heads, scores scaled by
        1 / sqrt(D / n_heads), position t attending only to positions 0..t (your causal_mask). mlp: fc, the
        exact (erf) GELU, proj. Do not modify x in place.
        """
        raise NotImplementedError
