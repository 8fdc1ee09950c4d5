"""Known wrong answers of lab 8, computed from the inputs, so that failure messages can name the mistake."""

from __future__ import annotations

import math

import torch
from torch import Tensor

NO_SCALE_BWD = "the 1/sqrt(d) scale left out of the backward (dQ and dK come out sqrt(d) times too large)"
NO_ROWSUM = (
    "the softmax backward without the row-sum term (dS = P * dP): each row's Jacobian is "
    "diag(p) - p p^T, and the p p^T part gives - P * rowsum(dP * P)"
)
SUM_WRONG_AXIS = (
    "the sum of dP * P taken over the wrong axis (over rows, dim 0: the transposed softmax Jacobian); "
    "sum over each row, dim=-1, keepdim=True"
)
NO_KEEPDIM = (
    "the row sums of dP * P subtracted along the wrong axis (.sum(-1) without keepdim=True broadcasts "
    "row j's sum into column j)"
)
SUM_WITHOUT_P = "the row sum taken of dP alone (it must be rowsum(dP * P), each dP weighted by P)"
NO_P_FACTOR = "dS = dP - rowsum(dP * P), without the outer factor P"
V_PATH_ONLY = "dX with only the V path (dV W_v^T): X also feeds Q and K, and all three paths add up"
NO_K_PATH = "dX without the K path (dK W_k^T is missing): X feeds Q, K and V"
NO_Q_PATH = "dX without the Q path (dQ W_q^T is missing): X feeds Q, K and V"
DW_TRANSPOSED = "d{w} computed as d{m}^T X (transposed): it is X^T d{m}, with {w}'s shape [D, d]"
DK_AS_DQ = "dK computed as dS K / sqrt(d), the dQ formula: keys are the columns of S, so dK = dS^T Q / sqrt(d)"
DK_NO_TRANSPOSE = "dK computed as dS Q / sqrt(d), without transposing dS (dK = dS^T Q / sqrt(d))"
DQ_TRANSPOSED = "dQ computed as dS^T K / sqrt(d) (queries are the rows of S: dQ = dS K / sqrt(d))"
DV_NO_TRANSPOSE = "dV computed as P dO, without transposing P (dV = P^T dO)"

FWD_NO_SCALE = "attention without the 1/sqrt(d) scale"
FWD_SCALE_D = "scores divided by d instead of sqrt(d)"
FWD_SOFTMAX_DIM0 = "softmax over the queries (dim 0) instead of over the keys (the last dim)"


def _softmax_rows(S: Tensor) -> Tensor:
    E = torch.exp(S - S.amax(dim=-1, keepdim=True))
    return E / E.sum(dim=-1, keepdim=True)


def forward_mistakes(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor) -> dict[str, Tensor]:
    """Outputs of wrong forward passes."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    d = Q.shape[-1]
    return {
        FWD_NO_SCALE: _softmax_rows(Q @ K.T) @ V,
        FWD_SCALE_D: _softmax_rows(Q @ K.T / d) @ V,
        FWD_SOFTMAX_DIM0: torch.softmax(Q @ K.T / math.sqrt(d), dim=0) @ V,
    }


def softmax_backward_mistakes(P: Tensor, dP: Tensor) -> dict[str, Tensor]:
    """dS from wrong softmax backward formulas."""
    return {
        NO_ROWSUM: P * dP,
        SUM_WRONG_AXIS: P * (dP - (dP * P).sum(dim=0, keepdim=True)),
        NO_KEEPDIM: P * (dP - (dP * P).sum(dim=-1)),
        SUM_WITHOUT_P: P * (dP - dP.sum(dim=-1, keepdim=True)),
        NO_P_FACTOR: dP - (dP * P).sum(dim=-1, keepdim=True),
    }


def row_sum_mistakes(P: Tensor, dP: Tensor) -> dict[str, Tensor]:
    """Row sums of dS under the most common softmax-backward mistake (they must all be 0)."""
    return {"dS = P * dP (the - P * rowsum(dP * P) term is missing)": (P * dP).sum(dim=-1)}


def path_mistakes(paths: dict[str, Tensor]) -> dict[str, Tensor]:
    """dX built from only some of its three paths, given each path's gradient {"q", "k", "v"}."""
    subsets = {
        "only the V path": "v", "only the Q path": "q", "only the K path": "k",
        "the Q and V paths, not the K path": "qv", "the K and V paths, not the Q path": "kv",
        "the Q and K paths, not the V path": "qk",
    }  # fmt: skip
    return {
        f"dX with {which} (X feeds Q, K and V; dX = dQ W_q^T + dK W_k^T + dV W_v^T)": sum(paths[p] for p in used)
        for which, used in subsets.items()
    }


def _grads(X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, dO: Tensor, mistake: str = "") -> dict[str, Tensor]:
    """The manual backward, with at most one named mistake in it."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    scale = 1.0 if mistake == NO_SCALE_BWD else 1.0 / math.sqrt(Q.shape[-1])
    P = _softmax_rows(Q @ K.T / math.sqrt(Q.shape[-1]))
    dV = P @ dO if mistake == DV_NO_TRANSPOSE else P.T @ dO
    dP = dO @ V.T
    dS = softmax_backward_mistakes(P, dP).get(mistake, P * (dP - (dP * P).sum(dim=-1, keepdim=True)))
    dQ = (dS.T if mistake == DQ_TRANSPOSED else dS) @ K * scale
    dK = {DK_AS_DQ: dS @ K, DK_NO_TRANSPOSE: dS @ Q}.get(mistake, dS.T @ Q) * scale
    paths = {"q": dQ @ W_q.T, "k": dK @ W_k.T, "v": dV @ W_v.T}
    dX = {V_PATH_ONLY: paths["v"], NO_K_PATH: paths["q"] + paths["v"], NO_Q_PATH: paths["k"] + paths["v"]}
    grads = {"X": dX.get(mistake, paths["q"] + paths["k"] + paths["v"])}
    for w, dm in (("W_q", dQ), ("W_k", dK), ("W_v", dV)):
        transposed = DW_TRANSPOSED.format(w=w, m=w[-1].upper())
        grads[w] = dm.T @ X if mistake == transposed else X.T @ dm
    return grads


BACKWARD_MISTAKES = [
    NO_SCALE_BWD, NO_ROWSUM, SUM_WRONG_AXIS, NO_KEEPDIM, SUM_WITHOUT_P, NO_P_FACTOR, V_PATH_ONLY, NO_K_PATH,
    NO_Q_PATH, DK_AS_DQ, DK_NO_TRANSPOSE, DQ_TRANSPOSED, DV_NO_TRANSPOSE,
    *(DW_TRANSPOSED.format(w=w, m=w[-1].upper()) for w in ("W_q", "W_k", "W_v")),
]  # fmt: skip


def backward_mistakes(
    name: str, X: Tensor, W_q: Tensor, W_k: Tensor, W_v: Tensor, dO: Tensor
) -> dict[str, Tensor]:
    """For gradient `name` ("X", "W_q", "W_k" or "W_v"): each known mistake that changes it, and its value."""
    right = _grads(X, W_q, W_k, W_v, dO)[name]
    wrong = {m: _grads(X, W_q, W_k, W_v, dO, m)[name] for m in BACKWARD_MISTAKES}
    return {m: g for m, g in wrong.items() if g.shape != right.shape or not torch.allclose(g, right)}
