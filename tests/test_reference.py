"""The reference Transformer agrees with PyTorch's own operators and decodes the same with and without a cache."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from labs.reference import (
    DecoderBlock,
    GPTConfig,
    KVCache,
    LayerNorm,
    MultiHeadAttention,
    RMSNorm,
    TinyGPT,
    apply_rope,
    causal_mask,
    gelu,
    rope_frequencies,
    scaled_dot_product_attention,
)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _qkv(g: torch.Generator, b: int = 2, h: int = 3, tq: int = 5, tk: int = 5, d: int = 8) -> tuple[torch.Tensor, ...]:
    return (
        torch.randn(b, h, tq, d, generator=g),
        torch.randn(b, h, tk, d, generator=g),
        torch.randn(b, h, tk, d, generator=g),
    )


def test_attention_matches_torch_without_mask() -> None:
    q, k, v = _qkv(_gen(1), tq=4, tk=7)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v))


def test_attention_matches_torch_with_causal_mask() -> None:
    q, k, v = _qkv(_gen(2))
    mask = causal_mask(5)
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, mask), expected)
    torch.testing.assert_close(expected, F.scaled_dot_product_attention(q, k, v, is_causal=True))


def test_attention_matches_torch_with_random_mask() -> None:
    g = _gen(3)
    q, k, v = _qkv(g, tq=4, tk=6)
    mask = torch.rand(2, 1, 4, 6, generator=g) > 0.5
    mask[..., 0] = True  # no fully masked row
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, mask), expected)


def test_causal_mask_lines_queries_up_with_the_end_of_the_keys() -> None:
    expected = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(causal_mask(2, 4), expected)
    assert torch.equal(causal_mask(3), torch.ones(3, 3, dtype=torch.bool).tril())


def test_attention_gradcheck_float64() -> None:
    g = _gen(4)
    q, k, v = (t.double().requires_grad_() for t in _qkv(g, b=1, h=2, tq=3, tk=3, d=4))
    mask = causal_mask(3)
    assert torch.autograd.gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask), (q, k, v))


def test_multi_head_attention_matches_nn_multihead_attention() -> None:
    torch.manual_seed(5)
    d, h = 16, 4
    ours = MultiHeadAttention(d, h)
    theirs = nn.MultiheadAttention(d, h, batch_first=True)
    with torch.no_grad():
        w_q, w_k, w_v = theirs.in_proj_weight.chunk(3)
        b_q, b_k, b_v = theirs.in_proj_bias.chunk(3)
        for lin, w, b in ((ours.q_proj, w_q, b_q), (ours.k_proj, w_k, b_k), (ours.v_proj, w_v, b_v)):
            lin.weight.copy_(w)
            lin.bias.copy_(b)
        ours.out_proj.weight.copy_(theirs.out_proj.weight)
        ours.out_proj.bias.copy_(theirs.out_proj.bias)
    g = _gen(6)
    x = torch.randn(2, 5, d, generator=g)
    mask = causal_mask(5)
    expected, _ = theirs(x, x, x, attn_mask=~mask, need_weights=False)  # nn.MultiheadAttention: True = blocked
    torch.testing.assert_close(ours(x, mask), expected)
    context = torch.randn(2, 7, d, generator=g)
    expected_cross, _ = theirs(x, context, context, need_weights=False)
    torch.testing.assert_close(ours(x, context=context), expected_cross)


def test_layer_norm_matches_nn_layer_norm() -> None:
    g = _gen(7)
    ours, theirs = LayerNorm(12), nn.LayerNorm(12)
    with torch.no_grad():
        for p in (*ours.parameters(), *theirs.parameters()):
            p.copy_(torch.randn(12, generator=_gen(8)))
    x = torch.randn(3, 4, 12, generator=g) * 5 + 3
    torch.testing.assert_close(ours(x), theirs(x))


def test_rms_norm_matches_formula() -> None:
    g = _gen(9)
    norm = RMSNorm(10)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(10, generator=g))
    x = torch.randn(4, 10, generator=g).double() * 3
    expected = x / torch.sqrt((x**2).mean(-1, keepdim=True) + 1e-6) * norm.weight.double()
    torch.testing.assert_close(norm(x.float()), expected.float())


def test_gelu_is_exact() -> None:
    x = torch.linspace(-6, 6, 101)
    torch.testing.assert_close(gelu(x), F.gelu(x, approximate="none"))


def test_rope_frequencies_formula() -> None:
    expected = torch.tensor([10000.0 ** (-2 * i / 8) for i in range(4)])
    torch.testing.assert_close(rope_frequencies(8), expected)


def test_rope_rotates_halves() -> None:
    x = torch.randn(1, 2, 3, 8, generator=_gen(10))
    positions = torch.tensor([0, 1, 5])
    angle = positions[:, None].float() * rope_frequencies(8)[None, :]  # (T, 4)
    x1, x2 = x[..., :4], x[..., 4:]
    expected = torch.cat([x1 * angle.cos() - x2 * angle.sin(), x2 * angle.cos() + x1 * angle.sin()], dim=-1)
    torch.testing.assert_close(apply_rope(x, positions), expected)
    torch.testing.assert_close(apply_rope(x, torch.zeros(3, dtype=torch.long)), x)


def test_rope_scores_depend_only_on_position_difference() -> None:
    g = _gen(11)
    q, k = torch.randn(16, generator=g), torch.randn(16, generator=g)

    def score(m: int, n: int) -> torch.Tensor:
        qm = apply_rope(q[None, :], torch.tensor([m]))
        kn = apply_rope(k[None, :], torch.tensor([n]))
        return (qm * kn).sum()

    torch.testing.assert_close(score(3, 1), score(42, 40))
    torch.testing.assert_close(score(0, 7), score(100, 107))
    assert not torch.allclose(score(3, 1), score(3, 2))
    torch.testing.assert_close(apply_rope(q[None, :], torch.tensor([9])).norm(), q.norm())


def test_decoder_block_state_dict_keys() -> None:
    keys = set(DecoderBlock(8, 2, 32).state_dict())
    expected = {
        "ln_1.weight", "ln_1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
        "ln_2.weight", "ln_2.bias", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias",
    }  # fmt: skip
    assert keys == expected
    assert DecoderBlock(8, 2, 32).state_dict()["attn.qkv.weight"].shape == (24, 8)


def test_decoder_block_is_causal() -> None:
    torch.manual_seed(12)
    block = DecoderBlock(8, 2, 16)
    x = torch.randn(1, 6, 8, generator=_gen(13))
    changed = x.clone()
    changed[:, 4:] += 1.0
    torch.testing.assert_close(block(x)[:, :4], block(changed)[:, :4])


def _model(norm: str = "layernorm") -> TinyGPT:
    torch.manual_seed(14)
    return TinyGPT(GPTConfig(vocab_size=50, d_model=32, n_heads=4, n_layers=2, max_seq_len=32, norm=norm))


def test_config_defaults() -> None:
    config = GPTConfig(vocab_size=10, d_model=16, n_heads=2, n_layers=1, max_seq_len=8)
    assert (config.d_ff, config.rope_base, config.norm, config.head_dim) == (64, 10000.0, "layernorm", 8)


def test_tiny_gpt_logits_shape_and_gradients() -> None:
    model = _model()
    idx = torch.randint(0, 50, (2, 7), generator=_gen(15))
    logits = model(idx)
    assert logits.shape == (2, 7, 50)
    F.cross_entropy(logits.reshape(-1, 50), idx.reshape(-1)).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_tiny_gpt_uses_positions() -> None:
    """Without positions, attention is order-blind: swapping two earlier tokens would not change the last logits."""
    model = _model()
    logits = model(torch.tensor([[5, 9, 7, 2]]))
    swapped = model(torch.tensor([[9, 5, 7, 2]]))
    assert not torch.allclose(logits[0, -1], swapped[0, -1], atol=1e-6)


def test_cached_decoding_matches_full_forward() -> None:
    for norm in ("layernorm", "rmsnorm"):
        model = _model(norm)
        idx = torch.randint(0, 50, (2, 12), generator=_gen(16))
        with torch.no_grad():
            full = model(idx)
            cache = KVCache(model.config.n_layers)
            steps = [model(idx[:, :5], cache)]  # prefill
            assert cache.seq_len == 5
            steps += [model(idx[:, t : t + 1], cache) for t in range(5, 12)]
        torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-5)
        assert cache.seq_len == 12
        assert cache.keys[1] is not None and cache.keys[1].shape == (2, 4, 12, 8)
        assert cache.nbytes() == 2 * 2 * (2 * 4 * 12 * 8) * 4


def test_cache_may_return_fewer_keys_than_positions_seen() -> None:
    """A cache that drops old entries (sink-cache style): the new queries line up with the end of k_all."""

    class WindowCache(KVCache):
        def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            k_all, v_all = super().update(layer, k, v)
            return k_all[:, :, -(k.size(2) + 2) :], v_all[:, :, -(k.size(2) + 2) :]  # 2 old + the new

    model = _model()
    prompt = torch.randint(0, 50, (1, 6), generator=_gen(17))
    logits = []
    with torch.no_grad():
        for second in (4, 9):
            cache = WindowCache(model.config.n_layers)
            model(prompt, cache)
            logits.append(model(torch.tensor([[3, second]]), cache))
            assert cache.seq_len == 8
    assert logits[0].shape == (1, 2, 50) and torch.isfinite(logits[0]).all()
    torch.testing.assert_close(logits[0][:, 0], logits[1][:, 0])  # the first new token does not see the second
    assert not torch.allclose(logits[0][:, 1], logits[1][:, 1])
