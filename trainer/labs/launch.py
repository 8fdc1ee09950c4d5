"""How a check's subprocess is launched: its sandbox, environment and folders, and what it says in the verdict.

`prepare` makes the day's copy of progress.db (`trainer.store.backup`), a temporary folder (the fresh HOME, TMPDIR,
working folder and the report file: the only place the check may write) and the `trainer.labs.sandbox` spec that
hides the trainer's data folders. The `Launch` then keeps the sandbox's own report line out of the test events and
adds to the verdict what applied, what did not and why, and a note on each failure the sandbox caused.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from trainer.labs import sandbox
from trainer.labs.results import CheckResult, TestEvent
from trainer.paths import PROJECT_ROOT, db_path, trainer_home

NOT_SET_UP = "the check ended before its sandbox was set up"
_GRADER_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": "", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1"}  # fmt: skip
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""One thread per math library unless the learner's environment says otherwise: a lab's tensors are tiny, and on a
busy 2-core machine a second OpenMP thread waiting for a core made kv_cache's tests take 1-2.7 s instead of 0.05 s.
The warm grader's process then holds no thread pool either (numpy's OpenBLAS starts one at import otherwise)."""


@dataclass
class Launch:
    """One check's command, environment and folder, and the sandbox's state as the run reports it."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    report: Path
    tmpdir: tempfile.TemporaryDirectory[str]
    hidden: tuple[str, ...]
    removed: set[str]
    backup: str
    spec: sandbox.Spec
    pytest_argv: list[str]
    """What follows `python -m pytest` (the warm grader runs it with pytest.main in a forked child)."""
    status: dict[str, str] = field(default_factory=dict)
    """Each protection: '' applied, else why not (the child's report replaces NOT_SET_UP)."""
    notes: dict[str, str] = field(default_factory=dict)
    """What the parent knows did not apply, whatever the child reports."""

    def take(self, event: dict[str, Any]) -> bool:
        """Keep the sandbox's report line; whether `event` was it."""
        if event.get("event") != sandbox.REPORT_EVENT:
            return False
        reported = event.get("protections", {})
        self.status.update({k: str(reported[k]) for k in sandbox.NAMESPACE_PROTECTIONS if k in reported})
        return True

    def _status(self) -> dict[str, str]:
        return {**self.status, **self.notes}

    def _applied(self) -> list[str]:
        status = self._status()
        return [name for name in sandbox.PROTECTIONS if status.get(name) == ""]

    def explain(self, message: str) -> str:
        """`message` with a note for each part the sandbox had in it."""
        return sandbox.explain(message, self._applied(), self.hidden, self.removed)

    def event(self, event: TestEvent) -> TestEvent:
        """A live event, a finished test's message explained."""
        if event.result is None or not event.result.message:
            return event
        return replace(event, result=replace(event.result, message=self.explain(event.result.message)))

    def verdict(self, result: CheckResult) -> CheckResult:
        """`result` with the sandbox's part: applied and missing protections, the day's copy, notes on failures."""
        missing = {name: why for name, why in self._status().items() if why}
        return replace(
            result,
            tests=tuple(replace(t, message=self.explain(t.message)) for t in result.tests),
            message=self.explain(result.message),
            sandbox={"applied": self._applied(), "missing": missing, "backup": self.backup},
        )


def _data_folders(needed: Sequence[Path]) -> tuple[list[str], str]:
    """The trainer's data folders a check must not see (TRAINER_HOME and the platform's default one), and why one
    is left visible: it holds something the check needs (the project, Python, the check's folder)."""
    folders = {trainer_home().resolve(), Path(platformdirs.user_data_dir("trainer", appauthor=False)).resolve()}
    hidden, kept = [], []
    for folder in sorted(folders):
        (kept if any(n == folder or folder in n.parents for n in needed) else hidden).append(str(folder))
    return hidden, f"{', '.join(kept)} holds the project, Python or the check itself" if kept else ""


def _daily_backup() -> tuple[str, str]:
    """Today's copy of progress.db, made now if this is the day's first check: (its path or '', why it failed)."""
    from trainer.store.backup import BackupError, daily_backup  # imported here: only a check needs it

    try:
        made = daily_backup(db_path())
    except BackupError as exc:
        return "", str(exc)
    return str(made or ""), ""


def grader_environment(home: str, tmp: str) -> dict[str, str]:
    """The scrubbed environment of a check (or of the warm grader's process) with this HOME and TMPDIR."""
    python_path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    threads = {name: "1" for name in THREAD_VARIABLES if name not in os.environ}
    return sandbox.environment(os.environ, home, tmp, {**_GRADER_ENV, **threads, "PYTHONPATH": python_path})


def prepare(learner: Path, lab_root: Path, pytest_argv: Sequence[str]) -> Launch:
    """The launch of `python -m pytest PYTEST_ARGV` on `learner`'s file; pytest_argv gets `--report-file` here."""
    backup, backup_failed = _daily_backup()
    tmpdir = tempfile.TemporaryDirectory(prefix="trainer-check-")
    folder = Path(tmpdir.name)
    home, work, tmp, report = folder / "home", folder / "work", folder / "tmp", folder / "report.jsonl"
    for path in (home, work, tmp):
        path.mkdir()
    hidden, visible = _data_folders([PROJECT_ROOT, Path(sys.prefix), Path(sys.base_prefix), folder.resolve()])
    spec = sandbox.Spec(hidden, str(learner), str(folder), str(report), [str(PROJECT_ROOT), str(lab_root),
                                                                         str(Path.home())])  # fmt: skip
    env = grader_environment(str(home), str(tmp))
    argv = [*pytest_argv, "--report-file", str(report)]
    launch = Launch(sandbox.command(spec, ["-m", "pytest", *argv]), env, work, report, tmpdir, tuple(hidden),
                    sandbox.removed_names(os.environ, env), backup, spec, argv)  # fmt: skip
    launch.status = {sandbox.CLEAN_ENV: "", sandbox.FRESH_HOME: ""} | dict.fromkeys(sandbox.NAMESPACE_PROTECTIONS,
                                                                                      NOT_SET_UP)  # fmt: skip
    launch.notes = {k: v for k, v in ((sandbox.DATA_HIDDEN, visible), ("daily_backup", backup_failed)) if v}
    return launch
