"""The learner's side of a lab: workspace files, backups and archives, which hints were shown, and what the store
logs of it (checks, and the events a lab's grade comes from)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from trainer import clock, lab_review
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


def archive_dir() -> Path:
    """Where re-solves keep the learner's earlier files: $TRAINER_HOME/workspace/archive."""
    return workspace_dir() / "archive"


def archive(slug: str) -> Path | None:
    """Move the workspace file to `archive/<slug>-<UTC time>.py` (never over another file); None when there is no
    file. OSError when it cannot be moved."""
    target = workspace_file(slug)
    if not target.exists():
        return None
    folder = archive_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.utc_now().strftime("%Y%m%dT%H%M%SZ")
    kept = folder / f"{slug}-{stamp}.py"
    number = 1
    while kept.exists():
        number += 1
        kept = folder / f"{slug}-{stamp}-{number}.py"
    target.rename(kept)
    return kept


def resolve(lab: Lab) -> tuple[Path, Path | None]:
    """Start a lab again from a fresh starter: the earlier file archived (see `archive`), the hints hidden again;
    (the new file, the archived one or None). OSError when the workspace cannot be written."""
    kept = archive(lab.slug)
    target = workspace_file(lab.slug)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lab.starter, target)
    state = hints_state()
    if state.get(lab.slug):
        state[lab.slug] = 0
        save_hints(state)
    return target, kept


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


def learning_today() -> date:
    """Today's learning day by the settings' rollover hour (ConfigError when config.toml is bad)."""
    from trainer.config import load_settings

    return clock.today(load_settings().rollover_hour)


def _default_store(store: Any) -> Any:
    if store is not None:
        return store
    from trainer.store.database import open_store  # imported here: the grader itself works without a database

    return open_store()


def is_own_file(slug: str, path: Path) -> bool:
    """Whether `path` is the learner's workspace file of lab `slug` (the only file whose checks move the lab)."""
    try:
        return Path(path).resolve() == workspace_file(slug).resolve()
    except OSError:
        return False


def record_attempt(result: CheckResult, store: Any = None, day: date | None = None) -> Any:
    """Store one check (in `store`, else the default progress database), marked as a check of the learner's own file
    or not; a first pass of the own file in a round grades it on learning day `day` (default: today). Returns the
    store's LabCheckRecord: the attempt, and the graded round or None."""
    return _default_store(store).record_lab_check(
        result.slug,
        started_at=result.started_at,
        file_sha256=result.file_sha256,
        outcome=result.outcome,
        passed=result.passed,
        failed=result.failed,
        errors=result.errors,
        seconds=result.seconds,
        device=result.device,
        own_file=is_own_file(result.slug, result.file),
        day=day or learning_today(),
    )


def log_event(slug: str, kind: str, detail: str = "", store: Any = None, day: date | None = None) -> Any:
    """Log something done on a lab (trainer.lab_review.EVENT_KINDS) now; returns the store's LabEventRecord."""
    return _default_store(store).add_lab_event(slug, kind, at=clock.utc_now(), day=day or learning_today(),
                                               detail=detail)  # fmt: skip


def resolve_offer(slug: str, store: Any, today: date) -> Any:
    """The lab's schedule when a re-solve from a fresh starter is due (trainer.lab_review.can_resolve), else None."""
    state = store.lab_state(slug)
    if state is None or state.due > today:
        return None
    return state if lab_review.can_resolve(state, store.lab_reviews(slug), store.lab_round(slug), today) else None


def attempt_status(attempts: Sequence[Any], events: Sequence[Any] = ()) -> str:
    """What the learner's own file stands at in its latest round (trainer.lab_review.lab_status): `never tried`,
    `started`, `re-solving`, `failed n/m` or `passed`. Checks of other files count for nothing.

    `attempts` and `events` are one lab's store records, oldest first.
    """
    return lab_review.lab_status(attempts, events)
