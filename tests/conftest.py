"""Test-wide set-up: no test ever touches the real user data."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
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


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    """Close the Stores a test opened, so no connection outlives its TRAINER_HOME (without importing SQLAlchemy
    into tests that never did)."""
    yield
    database = sys.modules.get("trainer.store.database")
    if database is not None:
        database.close_all()


def _run_fresh(code: str, cwd: Path | None = None, timeout: float = 120) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture
def fresh_python() -> Callable[..., str]:
    """`fresh_python(code, cwd=None)`: run code in a new interpreter (what one process imports, unaffected by the
    test process) and return its stdout, after asserting that it exited 0."""
    return _run_fresh
