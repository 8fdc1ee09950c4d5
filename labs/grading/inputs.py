"""Seeded test inputs: drawn on the CPU from a fixed seed, then moved, so CPU and CUDA runs see the same numbers."""

from __future__ import annotations

import torch
from torch import Tensor

Shape = tuple[int, ...]


def generator(seed: int) -> torch.Generator:
    """A CPU generator with a fixed seed."""
    return torch.Generator().manual_seed(seed)


def seeded(
    shape: Shape,
    seed: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    *,
    scale: float = 1.0,
) -> Tensor:
    """A standard-normal tensor of `shape` (times `scale`) drawn from `seed` on the CPU, then moved to `device`."""
    return (torch.randn(shape, generator=generator(seed), dtype=dtype) * scale).to(device)


def seeded_many(
    shapes: list[Shape],
    seed: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    *,
    scale: float = 1.0,
) -> list[Tensor]:
    """Several standard-normal tensors drawn one after another from one seeded generator (e.g. q, k and v)."""
    g = generator(seed)
    return [(torch.randn(shape, generator=g, dtype=dtype) * scale).to(device) for shape in shapes]


def seeded_ints(shape: Shape, high: int, seed: int, device: torch.device | str = "cpu", *, low: int = 0) -> Tensor:
    """A LongTensor of `shape` with values in [low, high) drawn from `seed` on the CPU, then moved to `device`."""
    return torch.randint(low, high, shape, generator=generator(seed)).to(device)
