"""Autograder for lab 19 (decoder_only)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

# The kit: from labs.grading import assert_close, assert_count, seeded, seeded_many, ScoreMatrixGuard, ...
# Known mistakes: from labs.decoder_only import mistakes


def test_causal_mask_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.causal_mask  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test causal_mask (docs/LABS.md) against an oracle, not solution.py", pytrace=False)


def test_decoderblock_follows_the_contract(lab: Any, device: torch.device) -> None:
    lab.DecoderBlock  # a missing name fails with a message that names it
    pytest.fail("SCAFFOLD: test DecoderBlock (docs/LABS.md) against an oracle, not solution.py", pytrace=False)
