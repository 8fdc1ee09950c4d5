"""The learner's side of a lab: workspace files, backups, which hints were shown, and stored attempts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from trainer.labs.registry import Lab
from trainer.labs.results import CheckResult
from trainer.paths import trainer_home, workspace_dir


def workspace_file(slug: str) -> Path:
    """The learner's file for lab `slug`: $TRAINER_HOME/workspace/<slug>.py (nothing is created)."""
    return workspace_dir() / f"{slug}.py"


def start(lab: Lab) -> tuple[Path, bool]:
    """Copy the starter into the workspace unless a file is already there; (path, created). OSError when the
    workspace cannot be written."""
    target = workspace_file(lab.slug)
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lab.starter, target)
    return target, True


def is_untouched(lab: Lab) -> bool:
    """Whether the workspace file is byte for byte the starter (or missing): resetting it loses nothing."""
    target = workspace_file(lab.slug)
    return not target.exists() or target.read_bytes() == lab.starter.read_bytes()


def reset(lab: Lab) -> tuple[Path, Path | None]:
    """Put a fresh starter in the workspace; a changed file is kept as `<slug>.py.bak-<UTC timestamp>` (an
    untouched starter is simply replaced). OSError when the workspace cannot be written."""
    target = workspace_file(lab.slug)
    backup = None
    if not is_untouched(lab):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        backup = target.with_name(f"{target.name}.bak-{stamp}")
        target.rename(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lab.starter, target)
    return target, backup


def _hints_path() -> Path:
    return trainer_home() / "hints.json"


def hints_state() -> dict[str, int]:
    """{slug: hints shown} from hints.json; a missing, unreadable or damaged file counts as nothing shown."""
    try:
        data = json.loads(_hints_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def hints_shown(slug: str) -> int:
    """How many of lab `slug`'s hints the learner has seen."""
    return hints_state().get(slug, 0)


def next_hint(lab: Lab, lang: str = "en") -> tuple[int, int, str]:
    """Reveal the next hint: (its number, how many there are, its text in `lang`); after the last, the last
    again. OSError when the count cannot be saved."""
    hints = lab.hints(lang)
    if not hints:
        return 0, 0, ""
    state = hints_state()
    number = min(state.get(lab.slug, 0) + 1, len(hints))
    state[lab.slug] = number
    save_hints(state)
    return number, len(hints), hints[number - 1]


def save_hints(state: dict[str, int]) -> None:
    """Write hints.json ({slug: hints shown}), creating TRAINER_HOME if needed."""
    path = _hints_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")


def record_attempt(result: CheckResult, store: Any = None) -> None:
    """Store one check as a lab attempt, in `store` or else the default progress database (trainer.store)."""
    if store is None:
        from trainer.store.database import open_store  # imported here: the grader itself works without a database

        store = open_store()
    store.add_lab_attempt(
        result.slug,
        started_at=result.started_at,
        file_sha256=result.file_sha256,
        outcome=result.outcome,
        passed=result.passed,
        failed=result.failed,
        errors=result.errors,
        seconds=result.seconds,
        device=result.device,
    )


def attempt_status(attempts: Sequence[Any]) -> str:
    """`never tried`, `passed` (some attempt passed every test) or `failed n/m` (the latest attempt's score).

    `attempts` are store records, oldest first, with `outcome`, `passed`, `failed` and `errors`.
    """
    if not attempts:
        return "never tried"
    if any(a.outcome == "passed" for a in attempts):
        return "passed"
    last = attempts[-1]
    return f"failed {last.passed}/{last.passed + last.failed + last.errors}"
