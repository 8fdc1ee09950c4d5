"""rope_frequencies writes 1 / (base ** torch.arange(0, d, 2) / d): the power binds before the division.

Message: operator precedence
"""

from __future__ import annotations

import torch
from torch import Tensor

from labs.positional_encoding.solution import (  # the correct part
    LearnedPositionalEmbedding,
    apply_rope,
    sinusoidal_encoding,
)


def rope_frequencies(d: int, base: float = 10000.0) -> Tensor:
    """Meant 1 / base^(2i/d)."""
    return 1.0 / (base ** torch.arange(0, d, 2, dtype=torch.float32) / d)
