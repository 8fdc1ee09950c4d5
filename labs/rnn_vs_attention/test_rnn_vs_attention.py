"""Autograder for lab 1 (rnn_vs_attention)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

# The kit: from labs.grading import assert_close, assert_count, seeded, seeded_many, ScoreMatrixGuard, ...
# Known mistakes: from labs.rnn_vs_attention import mistakes


def test_rnn_forward_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.rnn_forward  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test rnn_forward (docs/LABS.md) against an oracle, not solution.py", pytrace=False)


def test_self_attention_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.self_attention  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test self_attention (docs/LABS.md) against an oracle, not solution.py", pytrace=False)


def test_influence_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.influence  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test influence (docs/LABS.md) against an oracle, not solution.py", pytrace=False)
