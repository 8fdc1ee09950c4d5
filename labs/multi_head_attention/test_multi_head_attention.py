"""Autograder for lab 4 (multi_head_attention)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

# The kit: from labs.grading import assert_close, assert_count, seeded, seeded_many, ScoreMatrixGuard, ...
# Known mistakes: from labs.multi_head_attention import mistakes


def test_split_heads_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.split_heads  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test split_heads (docs/LABS.md) against an oracle, not solution.py", pytrace=False)


def test_merge_heads_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.merge_heads  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test merge_heads (docs/LABS.md) against an oracle, not solution.py", pytrace=False)


def test_multiheadattention_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.MultiHeadAttention  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test MultiHeadAttention (docs/LABS.md) against an oracle, not solution.py", pytrace=False)
