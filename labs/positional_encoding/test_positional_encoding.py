"""Autograder for lab 3 (positional_encoding): the sinusoidal table, RoPE's frequencies and rotation, a learned table.

Expected values come from the formulas written here in float64, from RoPE computed a second way (a complex
rotation with torch.polar), and from the properties the card claims: PE(p + k) is a fixed rotation of PE(p),
RoPE scores depend only on the offset m - n, and a learned table has no row past max_len.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from labs.grading import assert_close, seeded, seeded_ints, seeded_many
from labs.positional_encoding import mistakes
from labs.positional_encoding.mistakes import DEFAULT_BASE, F64, interleave, pair_frequencies

ROUNDING = 2.0**-24  # float32's unit roundoff

# (seq_len, d_model, base): base None means the default 10000.
TABLE_CASES = [(12, 16, None), (50, 64, None), (9, 6, 100.0), (1, 8, None), (40, 128, 500000.0)]
# (d, base) for the frequencies.
FREQ_CASES = [(8, None), (64, None), (128, 500000.0), (6, 100.0), (2, None)]
# (shape of x, base) for the rotation: [B, H, T, d], [T, d], [B, T, d], a small base, d = 2.
ROPE_CASES = [((2, 3, 10, 8), None), ((7, 16), None), ((3, 12, 64), None), ((1, 2, 5, 4), 100.0), ((2, 1, 6, 2), None)]
ROPE_IDS = ["B-H-T-d", "T-d", "B-T-d", "base-100", "d-2"]
MAX_LEN, D_MODEL = 12, 6


def angle_atol(max_position: float, magnitude: float = 1.0) -> float:
    """What float32 rounding allows for sin and cos of angles up to `max_position`, times the inputs' size.

    An angle p * w computed in float32 is off by about p * 2^-24; the factor 8 covers the rounding of w, of
    the product and of sin/cos themselves, on CPU and on CUDA.
    """
    return 1e-5 + 8 * magnitude * max_position * ROUNDING


def base_args(base: float | None) -> tuple[float, ...]:
    """The positional `base` argument when a case sets one (else the default is used)."""
    return () if base is None else (base,)


def require(condition: bool, message: str) -> None:
    """Fail with exactly `message` (a plain `assert` would add pytest's rewriting of the condition)."""
    if not condition:
        raise AssertionError(message)


def tensor_from(got: Any, call: str) -> Tensor:
    """`got`, which must be a Tensor."""
    require(isinstance(got, Tensor), f"{call} returned {type(got).__name__}, not a torch.Tensor")
    return got


# ----------------------------------------------------------------------------------------- sinusoidal


def sinusoidal_by_formula(seq_len: int, d_model: int, base: float) -> Tensor:
    """PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(p / base^(2i/d)), for every column j in float64."""
    p = torch.arange(seq_len, dtype=F64)[:, None]
    j = torch.arange(d_model)[None, :]
    i = (j // 2).to(F64)  # column j belongs to pair i = j // 2
    angle = p / base ** (2 * i / d_model)
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle)).to(torch.float32)


def learner_table(lab: Any, seq_len: int, d_model: int, base: float | None = None) -> Tensor:
    call = f"sinusoidal_encoding({seq_len}, {d_model}{'' if base is None else f', base={base}'})"
    return tensor_from(lab.sinusoidal_encoding(seq_len, d_model, *base_args(base)), call)


@pytest.mark.parametrize(("seq_len", "d_model", "base"), TABLE_CASES)
def test_sinusoidal_matches_formula(
    lab: Any, device: torch.device, seq_len: int, d_model: int, base: float | None
) -> None:
    got = learner_table(lab, seq_len, d_model, base)
    b = DEFAULT_BASE if base is None else base
    assert_close(got.to(device), sinusoidal_by_formula(seq_len, d_model, b).to(device),
                 name=f"sinusoidal_encoding({seq_len}, {d_model}, base={b:g})", atol=angle_atol(seq_len),
                 mistakes=lambda: mistakes.sinusoidal_mistakes(seq_len, d_model, b))  # fmt: skip


def test_sinusoidal_long_table_stays_accurate(lab: Any, device: torch.device) -> None:
    seq_len, d_model = 2048, 64
    got = learner_table(lab, seq_len, d_model)
    assert_close(got.to(device), sinusoidal_by_formula(seq_len, d_model, DEFAULT_BASE).to(device),
                 name=f"sinusoidal_encoding({seq_len}, {d_model}) (positions up to {seq_len - 1})",
                 atol=angle_atol(seq_len),
                 mistakes=lambda: mistakes.sinusoidal_mistakes(seq_len, d_model, DEFAULT_BASE))  # fmt: skip


def pair_lengths(table: Tensor) -> Tensor:
    """PE[p, 2i]^2 + PE[p, 2i+1]^2 for every position and pair: [T, d/2]."""
    return table[:, 0::2] ** 2 + table[:, 1::2] ** 2


def test_sinusoidal_pairs_lie_on_the_unit_circle(lab: Any, device: torch.device) -> None:
    seq_len, d_model = 30, 16
    got = pair_lengths(learner_table(lab, seq_len, d_model).to(device))
    assert_close(got, torch.ones(seq_len, d_model // 2, device=device),
                 name="PE[p, 2i]^2 + PE[p, 2i+1]^2 (the sine and the cosine of one angle, side by side)",
                 mistakes=lambda: {d: pair_lengths(t) for d, t in
                                   mistakes.sinusoidal_mistakes(seq_len, d_model, DEFAULT_BASE).items()})  # fmt: skip


@pytest.mark.parametrize("k", [1, 5, 17])
def test_sinusoidal_shift_is_a_rotation_of_each_pair(lab: Any, device: torch.device, k: int) -> None:
    # The card's claim: PE(p + k) = R_k PE(p) for every p, where R_k turns each (sin, cos) pair by k * w_i.
    seq_len, d_model = 64, 16
    table = learner_table(lab, seq_len, d_model).to(device)
    w = pair_frequencies(d_model, DEFAULT_BASE).to(device)
    c, s = torch.cos(k * w), torch.sin(k * w)
    sin_p, cos_p = table[:-k, 0::2].to(F64), table[:-k, 1::2].to(F64)
    # sin(a + kw) = sin a cos kw + cos a sin kw;  cos(a + kw) = cos a cos kw - sin a sin kw
    rotated = interleave(sin_p * c + cos_p * s, cos_p * c - sin_p * s).to(torch.float32)
    assert_close(table[k:], rotated,
                 name=f"PE(p + {k}) against PE(p) with each pair (PE[p, 2i], PE[p, 2i+1]) turned by the angle "
                      f"{k} * base^(-2i/d): the same linear map for every p",
                 atol=angle_atol(seq_len),
                 mistakes=lambda: {d: t.to(device)[k:] for d, t in
                                   mistakes.sinusoidal_mistakes(seq_len, d_model, DEFAULT_BASE).items()})  # fmt: skip


# ------------------------------------------------------------------------------------ rope frequencies


@pytest.mark.parametrize(("d", "base"), FREQ_CASES)
def test_rope_frequencies_match_formula(lab: Any, device: torch.device, d: int, base: float | None) -> None:
    b = DEFAULT_BASE if base is None else base
    got = tensor_from(lab.rope_frequencies(d, *base_args(base)), f"rope_frequencies({d})")
    assert_close(got.to(device), pair_frequencies(d, b).to(device, torch.float32),
                 name=f"rope_frequencies({d}, base={b:g})", atol=0.0, rtol=1e-5,
                 mistakes=lambda: mistakes.frequency_mistakes(d, b))  # fmt: skip


# ---------------------------------------------------------------------------------------------- RoPE


def rope_by_complex(x: Tensor, positions: Tensor, base: float) -> Tensor:
    """RoPE a second way: (x1 + i x2) * e^(i * angle) in float64, real part first, imaginary part second."""
    h = x.shape[-1] // 2
    angles = positions.to(F64)[:, None] * pair_frequencies(x.shape[-1], base).to(x.device)[None, :]
    turned = torch.complex(x[..., :h].to(F64), x[..., h:].to(F64)) * torch.polar(torch.ones_like(angles), angles)
    return torch.cat([turned.real, turned.imag], dim=-1).to(x.dtype)


def rope_by_formula(x: Tensor, positions: Tensor, base: float) -> Tensor:
    """The contract's formula cat(x1 cos - x2 sin, x2 cos + x1 sin), in float64."""
    h = x.shape[-1] // 2
    angles = positions.to(F64)[:, None] * pair_frequencies(x.shape[-1], base).to(x.device)[None, :]
    x1, x2 = x[..., :h].to(F64), x[..., h:].to(F64)
    return torch.cat([x1 * angles.cos() - x2 * angles.sin(), x2 * angles.cos() + x1 * angles.sin()], -1).to(x.dtype)


def learner_rope(lab: Any, x: Tensor, positions: Tensor, base: float | None = None) -> Tensor:
    got = lab.apply_rope(x, positions, *base_args(base))
    return tensor_from(got, f"apply_rope(x {list(x.shape)}, positions {positions.tolist()})")


def check_rope(lab: Any, x: Tensor, positions: Tensor, base: float | None, name: str) -> None:
    """apply_rope(x, positions) equals the complex rotation, to what float32 rounding allows."""
    b = DEFAULT_BASE if base is None else base
    expected = rope_by_complex(x, positions, b)
    atol = angle_atol(float(positions.abs().max()), float(x.abs().max()))
    got = learner_rope(lab, x, positions, base)
    assert_close(got, expected, name=name, atol=atol,
                 mistakes=lambda: mistakes.rope_mistakes(x, positions, b))  # fmt: skip


@pytest.mark.parametrize("case", range(len(ROPE_CASES)), ids=ROPE_IDS)
def test_apply_rope_matches_complex_rotation(lab: Any, device: torch.device, case: int) -> None:
    shape, base = ROPE_CASES[case]
    x = seeded(shape, seed=10 + case, device=device)
    positions = torch.arange(shape[-2]).to(device)
    b = DEFAULT_BASE if base is None else base
    check_rope(lab, x, positions, base, f"apply_rope(x {list(shape)}, positions 0..{shape[-2] - 1}, base={b:g})")


def test_apply_rope_matches_rotate_half_formula(lab: Any, device: torch.device) -> None:
    x = seeded((2, 4, 9, 16), seed=20, device=device)
    positions = torch.arange(9).to(device)
    expected = rope_by_formula(x, positions, DEFAULT_BASE)
    got = learner_rope(lab, x, positions)
    assert_close(got, expected,
                 name="apply_rope against cat(x1 cos - x2 sin, x2 cos + x1 sin)",
                 atol=angle_atol(9, float(x.abs().max())),
                 mistakes=lambda: mistakes.rope_mistakes(x, positions, DEFAULT_BASE))  # fmt: skip


def test_apply_rope_uses_the_given_positions(lab: Any, device: torch.device) -> None:
    # Decoding with a cache: the new tokens sit at positions 100, 101, ..., not at 0, 1, ...
    x = seeded((2, 2, 6, 8), seed=21, device=device)
    check_rope(lab, x, torch.arange(100, 106).to(device), None, "apply_rope at positions 100..105")


def test_apply_rope_at_unsorted_repeated_positions(lab: Any, device: torch.device) -> None:
    x = seeded((1, 3, 6, 12), seed=22, device=device)
    positions = torch.tensor([5, 0, 5, 31, 2, 17]).to(device)
    check_rope(lab, x, positions, None, "apply_rope at unsorted, repeated positions [5, 0, 5, 31, 2, 17]")


def test_apply_rope_far_positions_stay_accurate(lab: Any, device: torch.device) -> None:
    x = seeded((1, 2, 16, 64), seed=23, device=device)
    positions = (4096 + 257 * torch.arange(16)).to(device)
    check_rope(lab, x, positions, None, "apply_rope at positions 4096..7951")


def test_apply_rope_position_zero_is_identity(lab: Any, device: torch.device) -> None:
    x = seeded((2, 2, 5, 8), seed=24, device=device)
    got = learner_rope(lab, x, torch.zeros(5, dtype=torch.long).to(device))
    assert_close(got, x, name="apply_rope at position 0 (angle 0: nothing turns)", atol=1e-6)


def rotate_half_pair_lengths(y: Tensor) -> Tensor:
    """y[..., i]^2 + y[..., i + d/2]^2: the squared length of each pair that RoPE turns."""
    h = y.shape[-1] // 2
    return y[..., :h] ** 2 + y[..., h:] ** 2


def test_apply_rope_keeps_each_pair_length(lab: Any, device: torch.device) -> None:
    x = seeded((2, 2, 7, 16), seed=25, device=device)
    positions = torch.arange(3, 10).to(device)
    got = rotate_half_pair_lengths(learner_rope(lab, x, positions))
    assert_close(got, rotate_half_pair_lengths(x),
                 name="x[..., i]^2 + x[..., i + d/2]^2 after apply_rope (a rotation keeps each pair's length)",
                 atol=1e-5, rtol=1e-5,
                 mistakes=lambda: {d: rotate_half_pair_lengths(y) for d, y in
                                   mistakes.rope_mistakes(x, positions, DEFAULT_BASE).items()})  # fmt: skip


@pytest.mark.parametrize("shift", [3, 40])
def test_apply_rope_scores_depend_only_on_the_offset(lab: Any, device: torch.device, shift: int) -> None:
    # q_m . k_n with RoPE must not change when both positions move by the same shift.
    T, d = 10, 16
    q, k = seeded_many([(T, d), (T, d)], seed=26, device=device)
    positions = torch.arange(T).to(device)
    # Copies, so that an apply_rope that writes into x fails only the test about that.
    scores = learner_rope(lab, q.clone(), positions) @ learner_rope(lab, k.clone(), positions).T
    shifted = learner_rope(lab, q.clone(), positions + shift) @ learner_rope(lab, k.clone(), positions + shift).T
    magnitude = d * float(q.abs().max()) * float(k.abs().max())
    assert_close(shifted, scores,
                 name=f"RoPE scores q_m . k_n with every position shifted by {shift} (they may depend on m - n only)",
                 atol=angle_atol(T + shift, magnitude))  # fmt: skip


def test_apply_rope_does_not_modify_x(lab: Any, device: torch.device) -> None:
    x = seeded((2, 3, 6, 8), seed=27, device=device)
    before = x.clone()
    learner_rope(lab, x, torch.arange(2, 8).to(device))
    require(torch.equal(x, before), "apply_rope changed its input x in place: return a new tensor (x holds a "
            "model's queries or keys, which are used again)")  # fmt: skip


def test_apply_rope_accepts_a_transposed_view(lab: Any, device: torch.device) -> None:
    # Heads are usually split with .view(B, T, H, d).transpose(1, 2): x is then not contiguous.
    x = seeded((2, 7, 3, 8), seed=28, device=device).transpose(1, 2)
    check_rope(lab, x, torch.arange(7).to(device), None, "apply_rope on a non-contiguous x (a transposed view)")


# ------------------------------------------------------------------------------------- learned table


def learned(lab: Any, max_len: int = MAX_LEN, d_model: int = D_MODEL) -> nn.Module:
    module = lab.LearnedPositionalEmbedding(max_len, d_model)
    require(isinstance(module, nn.Module), f"LearnedPositionalEmbedding is a {type(module).__name__}, not an nn.Module")
    return module


def with_table(lab: Any, device: torch.device, seed: int) -> tuple[nn.Module, Tensor]:
    """A learned embedding on `device` whose weight holds known seeded values, and those values."""
    module = learned(lab).to(device)
    values = seeded((MAX_LEN, D_MODEL), seed=seed, device=device)
    with torch.no_grad():
        module.weight.copy_(values)
    return module, values


@pytest.mark.parametrize(("max_len", "d_model"), [(12, 6), (5, 3)])
def test_learned_weight_is_a_trainable_parameter(lab: Any, max_len: int, d_model: int) -> None:
    module = learned(lab, max_len, d_model)
    weight = getattr(module, "weight", None)
    require(isinstance(weight, nn.Parameter), f"LearnedPositionalEmbedding.weight is {type(weight).__name__}, "
            "not an nn.Parameter: wrap the table in nn.Parameter so that the optimizer trains it")  # fmt: skip
    require(tuple(weight.shape) == (max_len, d_model),
            f"weight has shape {list(weight.shape)}, expected [max_len, d_model] = [{max_len}, {d_model}]")  # fmt: skip
    require(weight.dtype == torch.float32, f"weight is {weight.dtype}, expected torch.float32")
    require(weight.requires_grad, "weight.requires_grad is False: a learned table must be trainable")
    require(any(p is weight for p in module.parameters()), "weight is not among module.parameters()")


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)], ids=["T", "B-T", "three-dims"])
def test_learned_forward_returns_the_rows(lab: Any, device: torch.device, shape: tuple[int, ...]) -> None:
    module, values = with_table(lab, device, seed=30)
    positions = seeded_ints(shape, MAX_LEN, seed=31 + len(shape), device=device)
    got = module(positions)
    expected = values.index_select(0, positions.reshape(-1)).reshape(*shape, D_MODEL)
    first_rows = {"the first T rows of the table, whatever the positions (forward must look up the rows that "
                  "the positions name)": values[: shape[-1]].expand(*shape, D_MODEL)}  # fmt: skip
    assert_close(got, expected, name=f"LearnedPositionalEmbedding(positions {list(shape)})", mistakes=first_rows)


def test_learned_last_row_is_in_range(lab: Any, device: torch.device) -> None:
    module, values = with_table(lab, device, seed=32)
    positions = torch.tensor([0, MAX_LEN - 1]).to(device)
    try:
        got = module(positions)
    except Exception as exc:  # noqa: BLE001 - the learner's error becomes the message
        pytest.fail(
            f"LearnedPositionalEmbedding(max_len={MAX_LEN}) raised {type(exc).__name__}({exc}) for position "
            f"{MAX_LEN - 1}: rows 0 .. max_len - 1 exist, only positions >= max_len have none",
            pytrace=False,
        )
    assert_close(got, values[[0, MAX_LEN - 1]], name=f"rows 0 and {MAX_LEN - 1}")


def test_learned_gradient_reaches_the_rows(lab: Any, device: torch.device) -> None:
    module, _ = with_table(lab, device, seed=33)
    positions = torch.tensor([[0, 3, 3, 7, 11], [2, 3, 0, 0, 5]]).to(device)
    upstream = seeded((2, 5, D_MODEL), seed=34, device=device)
    out = module(positions)
    require(isinstance(out, Tensor) and out.requires_grad, "the output does not require grad, so the table never "
            "learns: index the parameter itself (no .detach(), .data or torch.no_grad())")  # fmt: skip
    (out * upstream).sum().backward()
    require(module.weight.grad is not None, "no gradient reached weight: forward must read the rows from weight")
    expected = torch.zeros(MAX_LEN, D_MODEL, device=device).index_add_(0, positions.reshape(-1),
                                                                        upstream.reshape(-1, D_MODEL))  # fmt: skip
    assert_close(module.weight.grad, expected,
                 name="weight.grad (each row gets the sum of the gradients of the positions that used it)")


def check_index_error(lab: Any, positions: Tensor, what: str) -> None:
    """A learned table raises IndexError naming max_len for `positions`.

    It runs on the CPU on every device: on a GPU an unchecked index is a device-side assert, which would end
    the whole run instead of failing one test.
    """
    module = learned(lab)
    exc = mistakes.error_of(module, positions)
    if isinstance(exc, IndexError) and mistakes.names_max_len(str(exc), MAX_LEN):
        return
    call = f"LearnedPositionalEmbedding(max_len={MAX_LEN}, d_model={D_MODEL}) on positions {positions.tolist()}"
    hint = mistakes.bound_check_mistake(module, MAX_LEN, exc)
    if exc is None:
        pytest.fail(f"{call} raised nothing: {what} has no row, expected an IndexError naming max_len{hint}",
                    pytrace=False)  # fmt: skip
    if not isinstance(exc, IndexError):
        pytest.fail(f"{call} raised {type(exc).__name__}({exc}): expected an IndexError ({what} has no row){hint}",
                    pytrace=False)  # fmt: skip
    pytest.fail(f"{call} raised IndexError({str(exc)!r}), whose message does not name max_len (say 'max_len' or "
                f"{MAX_LEN}){hint}", pytrace=False)  # fmt: skip


def test_learned_position_max_len_raises_index_error(lab: Any) -> None:
    check_index_error(lab, torch.tensor([0, 3, MAX_LEN]), f"position max_len = {MAX_LEN}")


def test_learned_far_position_in_a_short_input_raises_index_error(lab: Any) -> None:
    check_index_error(lab, torch.tensor([[1, 2], [0, 3 * MAX_LEN]]), f"position {3 * MAX_LEN}")
