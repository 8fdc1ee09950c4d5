"""The set-up's choice of PyTorch is explicit: `make -n` shows what each Makefile variable makes pip do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*variables: str) -> list[str]:
    """The commands that would create .venv (nothing is run), one per line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # not a sub-make of `make test`
    out = subprocess.run(["make", "-n", "-B", "--no-print-directory", ".venv/.installed", *variables], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return out.stdout.splitlines()


def test_the_default_installs_the_pinned_torch_from_the_configured_index() -> None:
    lines = dry_run()
    assert lines[0].split() == ["python3", "-m", "venv", ".venv"]
    assert ".venv/bin/python -m pip install --quiet torch==2.13.0" in lines  # exactly as before: no other index
    torch_line = next(i for i, line in enumerate(lines) if "torch==" in line)
    assert torch_line < next(i for i, line in enumerate(lines) if "-e '.[test]'" in line)  # torch first


def test_torch_index_takes_the_wheel_from_that_index() -> None:
    lines = dry_run("TORCH_INDEX=https://download.pytorch.org/whl/cpu", "TORCH_VERSION=2.5.1")
    wanted = ".venv/bin/python -m pip install --quiet torch==2.5.1 --index-url https://download.pytorch.org/whl/cpu"
    assert wanted in lines


def test_torch_skip_reuses_the_installed_torch() -> None:
    lines = dry_run("TORCH=skip")
    assert lines[0].split() == ["python3", "-m", "venv", "--system-site-packages", ".venv"]
    assert not any("pip install --quiet torch" in line for line in lines)
    assert any("import torch" in line for line in lines)  # and says which one it found, or stops
