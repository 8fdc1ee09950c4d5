"""Known wrong answers of lab 3, built from the inputs in float64 so that failure messages can name them.

Each builder returns {description: what that mistake produces}; the tests pass them to `assert_close` as
`mistakes=`, so a failure ends "This looks like <description>." The error-message checks of the learned
table name their mistakes with the constants at the end.
"""

from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from labs.grading import looks_like

F64 = torch.float64
DEFAULT_BASE = 10000.0

# ---------------------------------------------------------------------------------- sinusoidal table

CONCATENATED = (
    "all the sines first, then all the cosines ([sin | cos] halves): the contract interleaves them, "
    "PE[p, 2i] = sin and PE[p, 2i+1] = cos of the same angle"
)
SWAPPED = "sin and cos swapped: the even columns 2i hold the sine, the odd columns 2i+1 the cosine"
EXPONENT_PER_COLUMN = (
    "each column j got its own frequency base^(-j/d): the sine in column 2i and the cosine in column 2i+1 "
    "share one frequency, base^(-2i/d)"
)
EXPONENT_HALVED = "the exponent i/d instead of 2i/d (i counts pairs, so the exponent steps by 2/d)"
FROM_ONE = "positions counted from 1: the first row is position 0 (sin 0 = 0, cos 0 = 1)"
TRANSPOSED = "the table is transposed: rows are positions, columns are features ([seq_len, d_model])"
BASE_IGNORED = "the base argument was ignored (10000 hard-coded)"


def pair_frequencies(d: int, base: float) -> Tensor:
    """float64 [d // 2]: base^(-2i/d), the contract's frequencies."""
    return base ** (-2.0 * torch.arange(d // 2, dtype=F64) / d)


def interleave(even: Tensor, odd: Tensor) -> Tensor:
    """[T, h] and [T, h] -> [T, 2h] with `even` in columns 0, 2, 4, ... and `odd` in 1, 3, 5, ..."""
    return torch.stack([even, odd], dim=-1).flatten(-2)


def sinusoid(positions: Tensor, freqs: Tensor) -> Tensor:
    """The interleaved (sin, cos) table of float64 positions [T] at float64 frequencies [h] -> [T, 2h]."""
    angles = positions[:, None] * freqs[None, :]
    return interleave(angles.sin(), angles.cos())


def sinusoidal_mistakes(seq_len: int, d_model: int, base: float) -> dict[str, Tensor]:
    """The float32 tables that the usual sinusoidal mistakes produce (even d_model)."""
    p = torch.arange(seq_len, dtype=F64)
    w = pair_frequencies(d_model, base)
    angles = p[:, None] * w[None, :]
    column = p[:, None] * base ** (-torch.arange(d_model, dtype=F64) / d_model)[None, :]
    odd = torch.arange(d_model) % 2 == 1
    mistakes = {
        CONCATENATED: torch.cat([angles.sin(), angles.cos()], dim=-1),
        SWAPPED: interleave(angles.cos(), angles.sin()),
        EXPONENT_PER_COLUMN: torch.where(odd, column.cos(), column.sin()),
        EXPONENT_HALVED: sinusoid(p, base ** (-torch.arange(d_model // 2, dtype=F64) / d_model)),
        FROM_ONE: sinusoid(p + 1, w),
    }
    if seq_len != d_model:
        mistakes[TRANSPOSED] = sinusoid(p, w).T
    if base != DEFAULT_BASE:
        mistakes[BASE_IGNORED] = sinusoid(p, pair_frequencies(d_model, DEFAULT_BASE))
    return {description: table.to(torch.float32) for description, table in mistakes.items()}


# ----------------------------------------------------------------------------------- rope frequencies

FREQ_NOT_INVERTED = "base^(+2i/d): those are the wavelengths' growth factors, the frequencies are their inverses"
FREQ_PRECEDENCE = (
    "operator precedence: base ** torch.arange(0, d, 2) / d raises base to the power 2i and then divides by d "
    "(write base ** (torch.arange(0, d, 2) / d))"
)
FREQ_ONE_PER_COLUMN = "one frequency per column (d of them): RoPE has one per pair, d // 2 in all"
FREQ_REPEATED = (
    "the frequencies repeated for the two halves: rope_frequencies returns the d // 2 distinct values; "
    "apply_rope repeats the angles"
)


def frequency_mistakes(d: int, base: float) -> dict[str, Tensor]:
    """The float32 frequency vectors of the usual mistakes (even d)."""
    i = torch.arange(d // 2, dtype=F64)
    right = pair_frequencies(d, base)
    precedence = 1.0 / (base ** torch.arange(0, d, 2, dtype=torch.float32) / d)  # as written, in float32
    mistakes = {
        EXPONENT_HALVED: base ** (-i / d),
        FREQ_NOT_INVERTED: base ** (2.0 * i / d),
        FREQ_PRECEDENCE: precedence.to(F64),
        FREQ_ONE_PER_COLUMN: base ** (-torch.arange(d, dtype=F64) / d),
        FREQ_REPEATED: torch.cat([right, right]),
    }
    if base != DEFAULT_BASE:
        mistakes[BASE_IGNORED] = pair_frequencies(d, DEFAULT_BASE)
    return {description: f.to(torch.float32) for description, f in mistakes.items()}


# ---------------------------------------------------------------------------------------------- RoPE

INTERLEAVED_PAIRS = (
    "the interleaved layout of GPT-J and Meta's original LLaMA, rotating (x[2i], x[2i+1]): this lab uses the "
    "rotate-half layout, pairing x[i] with x[i + d/2]"
)
WRONG_DIRECTION = (
    "a rotation the wrong way (by -angle): the first half is x1 cos - x2 sin, the second x2 cos + x1 sin"
)
POSITIONS_IGNORED = "the positions argument was ignored: the angles used 0 .. T-1 instead of positions[t]"
ANGLES_REPEAT_INTERLEAVED = (
    "the angles repeated with repeat_interleave (theta0, theta0, theta1, theta1, ...), the order of the "
    "interleaved layout, but x split in halves: column i and column i + d/2 must turn by the same angle "
    "(cat([angles, angles]))"
)
COS_ONLY = "the rotate_half(x) * sin term is missing (only x * cos)"


def _rotate_half(x: Tensor, angles: Tensor) -> Tensor:
    """cat(x1 cos - x2 sin, x2 cos + x1 sin) in float64 with angles [T, d/2]."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    cos, sin = angles.cos(), angles.sin()
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def rope_mistakes(x: Tensor, positions: Tensor, base: float) -> dict[str, Tensor]:
    """What the usual RoPE mistakes return for x [..., T, d] at positions [T], in x's dtype and device."""
    d, h = x.shape[-1], x.shape[-1] // 2
    x64 = x.detach().to(F64)
    p = positions.to(F64)
    w = pair_frequencies(d, base).to(x.device)
    angles = p[:, None] * w[None, :]  # (T, h)
    cos, sin = angles.cos(), angles.sin()
    even, odd = x64[..., 0::2], x64[..., 1::2]
    full = angles.repeat_interleave(2, dim=-1)  # (T, d) in the interleaved order
    x1, x2 = x64[..., :h], x64[..., h:]
    mistakes = {
        INTERLEAVED_PAIRS: interleave(even * cos - odd * sin, odd * cos + even * sin),
        WRONG_DIRECTION: _rotate_half(x64, -angles),
        POSITIONS_IGNORED: _rotate_half(x64, torch.arange(len(p), dtype=F64, device=x.device)[:, None] * w),
        ANGLES_REPEAT_INTERLEAVED: x64 * full.cos() + torch.cat([-x2, x1], dim=-1) * full.sin(),
        COS_ONLY: x64 * torch.cat([cos, cos], dim=-1),
    }
    for description, freqs in frequency_mistakes(d, base).items():
        if freqs.shape == (h,):
            mistakes[description] = _rotate_half(x64, p[:, None] * freqs.to(x.device, F64)[None, :])
    return {description: out.to(x.dtype) for description, out in mistakes.items()}


# ---------------------------------------------------------------------------------- learned table

OFF_BY_ONE_BOUND = (
    "an off-by-one bound: position max_len has no row either (rows 0 .. max_len - 1), so test >= max_len, "
    "not > max_len"
)
LENGTH_CHECKED = (
    "the number of positions was checked instead of their values: a short input can still hold a position "
    "past the table (compare positions.max() with max_len)"
)
LOOKUP_ERROR = (
    "the lookup's own error (nn.Embedding / F.embedding say 'index out of range in self'): check the "
    "positions against max_len yourself and raise an IndexError that says max_len"
)


def error_of(module: nn.Module, positions: Tensor) -> Exception | None:
    """The exception `module(positions)` raises, or None."""
    try:
        module(positions)
    except Exception as exc:  # noqa: BLE001 - any learner error is what we look at
        return exc
    return None


def names_max_len(message: str, max_len: int) -> bool:
    """True when an error message says 'max_len' or gives its value."""
    return "max_len" in message or re.search(rf"(?<!\d){max_len}(?!\d)", message) is not None


def bound_check_mistake(module: nn.Module, max_len: int, exc: Exception | None) -> str:
    """`looks_like` the bound-check mistake that explains `module`'s errors on three probes, else ""."""

    def checked(positions: Tensor) -> bool:
        error = error_of(module, positions)
        return isinstance(error, IndexError) and names_max_len(str(error), max_len)

    at_max_len, far, long_input = (
        checked(torch.tensor([max_len])),
        checked(torch.tensor([3 * max_len])),
        checked(torch.arange(max_len + 6)),
    )
    if far and not at_max_len:
        return looks_like(OFF_BY_ONE_BOUND)
    if long_input and not far:
        return looks_like(LENGTH_CHECKED)
    if exc is not None and "index out of range" in str(exc):
        return looks_like(LOOKUP_ERROR)
    return ""
