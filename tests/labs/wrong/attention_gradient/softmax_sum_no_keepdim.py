"""Wrong: the softmax backward's row sums lose keepdim, so they are subtracted along the wrong axis.

Message: without keepdim=True broadcasts row j's sum into column j
"""

from __future__ import annotations

from unittest.mock import patch

from torch import Tensor

from labs.attention_gradient import solution
from labs.attention_gradient.solution import attention_forward  # the correct parts


def softmax_backward(P: Tensor, dP: Tensor) -> Tensor:
    """dS for P = softmax(S) along the last dim."""
    return P * (dP - (dP * P).sum(dim=-1))  # the mistake


def attention_backward(dout: Tensor, cache: dict[str, Tensor]) -> dict[str, Tensor]:
    """The solution's backward, calling this file's softmax_backward."""
    with patch.object(solution, "softmax_backward", softmax_backward):
        return solution.attention_backward(dout, cache)
