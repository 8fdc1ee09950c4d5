"""Test-wide set-up: no test ever touches the real user data."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before any test module imports trainer code, so even import-time lookups stay in a temp folder.
os.environ["TRAINER_HOME"] = tempfile.mkdtemp(prefix="trainer-test-home-")
os.environ.pop("TRAINER_CARDS", None)


@pytest.fixture(autouse=True)
def trainer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own empty TRAINER_HOME."""
    home = tmp_path / "trainer-home"
    monkeypatch.setenv("TRAINER_HOME", str(home))
    monkeypatch.delenv("TRAINER_CARDS", raising=False)
    return home
