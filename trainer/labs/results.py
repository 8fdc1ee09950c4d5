"""Lab run results: per-test results, live events, and the folding of the plugin's JSON lines into a CheckResult."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

OUTPUT_LIMIT = 64 * 1024

Outcome = Literal["passed", "failed", "error", "timeout", "oom", "crashed"]
TestOutcome = Literal["passed", "failed", "error", "skipped", "not_run"]


@dataclass(frozen=True)
class TestResult:
    """One test of a lab run."""

    __test__ = False  # not a pytest test class

    nodeid: str
    name: str
    outcome: TestOutcome
    seconds: float = 0.0
    message: str = ""
    oom: bool = False
    timeout: bool = False
    """Stopped at the per-test time limit."""


@dataclass(frozen=True)
class TestEvent:
    """Live progress: `session` (tests collected: total, device), `started` (a test began), `finished` (result),
    `import_error` (the learner's file could not be imported: `message`; every test will fail with it)."""

    __test__ = False

    kind: Literal["session", "started", "finished", "import_error"]
    total: int = 0
    device: str = ""
    nodeid: str = ""
    name: str = ""
    index: int = 0
    result: TestResult | None = None
    message: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one `trainer lab check` run."""

    slug: str
    file: Path
    file_sha256: str
    device: str
    started_at: datetime
    tests: tuple[TestResult, ...]
    passed: int
    failed: int
    errors: int
    seconds: float
    outcome: Outcome
    message: str = ""
    output: str = ""
    output_cut: int = 0
    returncode: int | None = None
    import_error: str = ""
    """Why the learner's file could not be imported (then no test could run), else empty."""
    sandbox: dict[str, Any] = field(default_factory=dict)
    """What protected the learner's data during the run: `applied` and `missing` protections (name: why not), and
    `backup`, the day's copy of progress.db (trainer.labs.sandbox, trainer.store.backup)."""
    warm: bool = False
    """Run in the warm grader's process (trainer.labs.warm) rather than a fresh one."""
    warm_note: str = ""
    """Why a check that asked for the warm grader ran without it (it could not start, stopped, ...), else empty."""

    @property
    def not_run(self) -> int:
        """Tests collected but never run (the run stopped early)."""
        return sum(t.outcome == "not_run" for t in self.tests)

    @property
    def total(self) -> int:
        """Tests collected (run or not)."""
        return len(self.tests)

    @property
    def exit_code(self) -> int:
        """0: every test passed; 1: tests ran and some failed (timeout, oom, crash included); 2: could not run."""
        return {"passed": 0, "error": 2}.get(self.outcome, 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (paths and times as strings)."""
        data = asdict(self)
        data["file"] = str(self.file)
        data["started_at"] = self.started_at.isoformat()
        data["tests"] = [asdict(t) for t in self.tests]
        data["not_run"] = self.not_run
        data["exit_code"] = self.exit_code
        return data


class OutputTail:
    """The last OUTPUT_LIMIT bytes of the run's stdout+stderr, and how many bytes were cut before them."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self.limit = limit
        self._buf = bytearray()
        self.cut = 0

    def feed(self, chunk: bytes) -> None:
        """Append output, dropping the oldest bytes beyond the limit."""
        self._buf += chunk
        extra = len(self._buf) - self.limit
        if extra > 0:
            del self._buf[:extra]
            self.cut += extra

    def text(self) -> str:
        """The kept bytes as text (undecodable bytes replaced)."""
        return self._buf.decode("utf-8", errors="replace")


class ReportReader:
    """Reads complete new JSON lines from the plugin's report file as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def read(self) -> Iterator[dict[str, Any]]:
        """The events written since the last call (a half-written last line waits for the next call)."""
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            event = parse_event(line)
            if event is not None:
                yield event


def parse_event(line: bytes | str) -> dict[str, Any] | None:
    """One plugin event, or None for a blank or damaged line."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def _size(n: int) -> str:
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "stopped"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode} (os._exit or a crash)"


_LONG_FLOAT = re.compile(r"(?<![\w.])-?\d+\.\d{5,}(?:e[+-]?\d+)?(?![\w.])")
MISTAKE_MARK = "This looks like"
"""How a failure message names a known mistake (labs.grading.compare)."""


def _round(number: str) -> str:
    """A float to 4 significant digits, still written as a float (`3.0000001192` -> `3.0`, not `3`)."""
    short = f"{float(number):.4g}"
    return short if any(c in short for c in ".ein") else short + ".0"


def tidy(message: str) -> str:
    """A failure message for people: long floats to 4 significant digits (`-5.0539795900329825` -> `-5.054`)."""
    return _LONG_FLOAT.sub(lambda m: _round(m.group()), message)


def named_mistake(message: str) -> str:
    """The sentence of `message` that names a known mistake ("This looks like ..."), or empty."""
    start = message.find(MISTAKE_MARK)
    return "" if start < 0 else message[start:].splitlines()[0].strip()


def message_lines(message: str, limit: int = 6) -> list[str]:
    """A failure message as lines to show: the named mistake first, then the rest, floats rounded, at most
    `limit` lines."""
    lines = [tidy(line.rstrip()) for line in message.strip().splitlines() if line.strip()]
    mistake = tidy(named_mistake(message))
    if mistake:
        lines = [mistake, *(line for line in lines if line.strip() != mistake)]
    return lines[:limit]


def headline(message: str) -> str:
    """The one line to show of a message: its named mistake when there is one, else its first line, tidied."""
    return next(iter(message_lines(message, 1)), "")


def failures(tests: Iterable[TestResult]) -> list[TestResult]:
    """The failed and errored tests, those naming a known mistake first (each group in run order)."""
    bad = [t for t in tests if t.outcome in ("failed", "error")]
    return sorted(bad, key=lambda t: not named_mistake(t.message))


def first_to_fix(tests: Iterable[TestResult]) -> TestResult | None:
    """The failure to fix first: the first one naming a known mistake, else the first one."""
    bad = failures(tests)
    return bad[0] if bad else None


@dataclass
class RunState:
    """What one run has reported so far; `finish` turns it into the CheckResult (shared by both drivers)."""

    slug: str
    file: Path
    file_sha256: str
    device: str
    started_at: datetime
    timeout: float
    memory_bytes: int | None
    test_timeout: float = 0.0
    output: OutputTail = field(default_factory=OutputTail)
    nodeids: list[str] = field(default_factory=list)
    results: dict[str, TestResult] = field(default_factory=dict)
    running: tuple[str, str] | None = None
    collect_errors: list[str] = field(default_factory=list)
    abort: str = ""
    interrupted: bool = False
    exitstatus: int | None = None
    importing: bool = False
    import_error: str = ""
    import_timed_out: bool = False

    def apply(self, event: dict[str, Any]) -> TestEvent | None:
        """Fold one plugin event in; return what a UI should show, if anything."""
        kind = event.get("event")
        if kind == "session":
            self.nodeids = [str(n) for n in event.get("nodeids", [])]
            self.device = str(event.get("device", self.device))
            if not event.get("memory_limit"):
                self.memory_bytes = None  # auto picked cuda: no limit was applied
            return TestEvent("session", total=len(self.nodeids), device=self.device)
        if kind == "started":
            self.running = (str(event.get("nodeid", "")), str(event.get("name", "")))
            return TestEvent("started", total=len(self.nodeids), nodeid=self.running[0], name=self.running[1],
                             index=len(self.results) + 1)
        if kind == "test":
            result = self._test_result(event)
            self.results[result.nodeid] = result
            self.running = None
            return TestEvent("finished", total=len(self.nodeids), nodeid=result.nodeid, name=result.name,
                             index=len(self.results), result=result)
        if kind in ("importing", "imported"):
            self.importing = kind == "importing"
        elif kind == "import_error":
            self.importing = False
            self.import_error = str(event.get("message", ""))
            self.import_timed_out = bool(event.get("timeout"))
            return TestEvent("import_error", total=len(self.nodeids), message=self.import_error)
        elif kind == "collect_error":
            self.collect_errors.append(f"{event.get('nodeid') or 'the test file'}: {event.get('message', '')}")
        elif kind == "abort":
            self.abort = str(event.get("message", ""))
            self.interrupted = event.get("kind") == "KeyboardInterrupt"
        elif kind == "finish":
            self.exitstatus = int(event.get("exitstatus", 3))
        return None

    def _test_result(self, event: dict[str, Any]) -> TestResult:
        oom = bool(event.get("oom"))
        message = str(event.get("message", ""))
        if oom:
            message = f"{self.oom_text()}: {message}"
        return TestResult(
            nodeid=str(event.get("nodeid", "")),
            name=str(event.get("name", "")),
            outcome=event.get("outcome", "error"),
            seconds=float(event.get("seconds", 0.0)),
            message=message,
            oom=oom,
            timeout=bool(event.get("timeout")),
        )

    def oom_text(self) -> str:
        """`out of memory (limit 4 GiB)`, or without the limit when none was set (CUDA)."""
        return f"out of memory (limit {_size(self.memory_bytes)})" if self.memory_bytes else "out of memory"

    def finish(self, returncode: int | None, timed_out: bool, seconds: float) -> CheckResult:
        """The verdict: timeout, crash and oom are pinned on the test that was running."""
        tests = list(self.results.values())
        if self.importing:
            where = "while importing your file"
        elif self.running:
            where = f"in {self.running[1]}"
        else:
            where = "after the last test" if self.results else "before any test started (importing or collecting)"
        outcome: Outcome
        if timed_out:
            outcome, message = "timeout", f"time limit of {self.timeout:g} s reached {where}"
        elif self.interrupted:
            outcome, message = "crashed", f"KeyboardInterrupt raised {where}"
        elif self.exitstatus is None:
            killed = returncode == -signal.SIGKILL and self.memory_bytes is not None
            if killed:
                outcome, message = "oom", f"{self.oom_text()} {where}: the process was killed"
            else:
                outcome, message = "crashed", f"the test process {_describe_exit(returncode)} {where}"
        else:
            outcome, message = self._verdict(tests)
        if self.running and not self.importing and outcome in ("timeout", "oom", "crashed"):
            tests.append(TestResult(self.running[0], self.running[1], "error", 0.0, message, oom=outcome == "oom"))
        done = {t.nodeid for t in tests}
        stopped = f"not run: the run stopped ({outcome})"
        tests += [TestResult(n, n.split("::", 1)[-1], "not_run", 0.0, stopped) for n in self.nodeids if n not in done]
        return CheckResult(
            slug=self.slug,
            file=self.file,
            file_sha256=self.file_sha256,
            device=self.device,
            started_at=self.started_at,
            tests=tuple(tests),
            passed=sum(t.outcome == "passed" for t in tests),
            failed=sum(t.outcome == "failed" for t in tests),
            errors=sum(t.outcome == "error" for t in tests),
            seconds=round(seconds, 3),
            outcome=outcome,
            message=message,
            output=self.output.text(),
            output_cut=self.output.cut,
            returncode=returncode,
            import_error=self.import_error,
        )

    def _verdict(self, tests: list[TestResult]) -> tuple[Outcome, str]:
        """Outcome and one-line message of a run that ended normally."""
        if self.collect_errors:
            return "error", "could not collect the lab's tests: " + "; ".join(self.collect_errors)
        if self.abort:
            return "error", self.abort
        if self.exitstatus not in (0, 1):
            if self.exitstatus == 5 or not tests:
                return "error", "no tests ran"
            lines = [line for line in self.output.text().splitlines() if line.strip()]
            return "error", f"pytest stopped with exit status {self.exitstatus}: {lines[-1] if lines else ''}"
        if self.import_error:
            outcome: Outcome = "timeout" if self.import_timed_out else "failed"
            return outcome, f"your file could not be imported, so no test could run: {self.import_error}"
        oom = [t.name for t in tests if t.oom]
        if oom:
            return "oom", f"{self.oom_text()} in {', '.join(oom)}"
        stopped = [t.name for t in tests if t.timeout]
        if stopped:
            ran = "; the other tests ran" if len(stopped) < len(tests) else ""
            return "timeout", f"time limit of {self.test_timeout:g} s per test reached in {', '.join(stopped)}{ran}"
        bad = [t for t in tests if t.outcome in ("failed", "error")]
        if not bad:
            return ("passed", "") if tests else ("error", "no tests ran")
        messages = {t.message for t in bad}
        if len(bad) > 1 and len(bad) == len(tests) and len(messages) == 1:
            return "failed", f"every test: {messages.pop()}"
        return "failed", ""
