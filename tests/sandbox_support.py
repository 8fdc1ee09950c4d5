"""Shared by the sandbox tests: whether this machine lets a process make its own namespaces, and hostile files."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from trainer.labs import sandbox

LEARNERS = Path(__file__).resolve().parent / "fixtures" / "learners"
ALWAYS = {sandbox.CLEAN_ENV, sandbox.FRESH_HOME}


@cache
def namespaces_allowed() -> bool:
    """Whether an unprivileged process may make user, mount, network and PID namespaces and mount a fresh /proc,
    asked of util-linux's `unshare`, independently of trainer's own sandbox code."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = [unshare, "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--mount-proc", "true"]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


def expected_protections() -> set[str]:
    """What every check on this machine must report as applied."""
    return set(sandbox.PROTECTIONS) if namespaces_allowed() else ALWAYS


def hostile_file(name: str, folder: Path, **fill: str | Path) -> Path:
    """A copy of tests/fixtures/learners/`name` in `folder`, each `@KEY@` replaced by `fill[key.lower()]`."""
    text = (LEARNERS / name).read_text(encoding="utf-8")
    for key, value in fill.items():
        text = text.replace(f"@{key.upper()}@", str(value))
    assert not re.search(r"@[A-Z_]+@", text), f"{name}: a placeholder was left unfilled"
    target = folder / name
    target.write_text(text, encoding="utf-8")
    return target
