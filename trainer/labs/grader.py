"""The grader: runs a lab's pytest file on a learner's file in a limited subprocess, and reports each test.

One implementation, two thin drivers: `check_lab` (blocking, for the CLI) and `stream_check` (an async
iterator, for the TUI). The subprocess is `python -m pytest <labs/slug/test_slug.py> --lab-file FILE
--device DEV -p labs.grading.report` run from the project root, with:

- the project's pytest settings kept out (`-c labs/grading/pytest.ini`, plugin autoload off);
- a wall-clock limit (the whole process group is killed), and inside it a time limit per test (the report
  plugin stops a test that runs past it, and the next test runs);
- a memory limit on CPU: the plugin sets RLIMIT_AS to what Python, torch and pytest have mapped when the tests
  start plus `memory_bytes`, so a runaway allocation raises MemoryError in the test that made it. It is set in
  the child, not in `preexec_fn` (unsafe in the threaded TUI) nor before `import torch` (a CUDA build maps
  gigabytes of libraries); none on CUDA;
- stdin closed, stdout+stderr merged and capped to the last 64 KiB;
- per-test results read from the plugin's JSON-lines file, never from pytest's text output.

`device="auto"` means "cuda if the grading subprocess sees one": the plugin probes torch there (the
trainer never imports torch) and then applies the memory limit only if it picked cpu.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from trainer.labs.cuda import cuda_problem
from trainer.labs.registry import Lab, LabError, find_lab
from trainer.labs.results import CheckResult, ReportReader, RunState, TestEvent
from trainer.paths import PROJECT_ROOT

DEFAULT_TIMEOUT = 60.0
DEFAULT_TEST_TIMEOUT = 10.0
"""Each test's own limit inside the run, so that one endless loop does not hide the other tests' results."""
DEFAULT_MEMORY = 4 << 30
DEVICES = ("auto", "cpu", "cuda")
GRADER_INI = PROJECT_ROOT / "labs" / "grading" / "pytest.ini"
REPORT_PLUGIN = "labs.grading.report"
POLL_SECONDS = 0.05


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pytest_args(lab: Lab, file: Path, device: str) -> list[str]:
    """Arguments after `python -m pytest` that grade `file` with `lab`'s tests (the harness uses them in-process)."""
    device_args = ["--device", "cpu", "--auto-device"] if device == "auto" else ["--device", device]
    return [
        str(lab.test_file),
        "-c", str(GRADER_INI),
        "--rootdir", str(PROJECT_ROOT),
        "--confcutdir", str(lab.root),
        "--lab-file", str(file),
        *device_args,
        "-p", REPORT_PLUGIN,
        "-q", "--tb=short", "--color=no",
    ]  # fmt: skip


@dataclass
class Plan:
    """A validated run: the command, its environment and limits, and the state it reports into."""

    command: list[str]
    env: dict[str, str]
    timeout: float
    state: RunState
    reader: ReportReader
    tmpdir: tempfile.TemporaryDirectory[str]

    def events(self) -> list[TestEvent]:
        """New UI events from the report file."""
        return [e for e in (self.state.apply(raw) for raw in self.reader.read()) if e is not None]

    def finish(self, returncode: int | None, timed_out: bool, seconds: float) -> CheckResult:
        """Read the last events, build the verdict, remove the report folder."""
        self.events()
        result = self.state.finish(returncode, timed_out, seconds)
        self.tmpdir.cleanup()
        return result


def check_device(device: str) -> None:
    """LabError, at once, for a device that is unknown or certain not to work here (cuda without CUDA)."""
    if device not in DEVICES:
        raise LabError(f"unknown device {device!r}: choose one of {', '.join(DEVICES)}")
    problem = cuda_problem() if device == "cuda" else None
    if problem:
        raise LabError(f"a check on cuda cannot run here: {problem}")


def plan_check(
    slug: str,
    file: Path,
    device: str = "cpu",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int | None = DEFAULT_MEMORY,
    labs_root: Path | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
) -> Plan:
    """Validate the request (LabError: unknown lab, missing file, a device that cannot work) and build the run."""
    check_device(device)
    lab = find_lab(slug, labs_root)
    file = Path(file).expanduser().resolve()
    if not file.is_file():
        raise LabError(f"no such file: {file}")
    if not lab.test_file.is_file():
        raise LabError(f"lab {slug!r} has no test file {lab.test_file.name}")
    limit = None if device == "cuda" or not memory_bytes else int(memory_bytes)
    tmpdir = tempfile.TemporaryDirectory(prefix="trainer-check-")
    report = Path(tmpdir.name) / "report.jsonl"
    limit_args = [] if limit is None else ["--memory-limit", str(limit)]
    per_test = min(float(test_timeout), float(timeout))
    command = [sys.executable, "-m", "pytest", *pytest_args(lab, file, device), "--report-file", str(report)]
    command += [*limit_args, "--test-timeout", f"{per_test:g}"]
    env = dict(os.environ)
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTEST_ADDOPTS="", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    state = RunState(
        slug=lab.slug,
        file=file,
        file_sha256=file_sha256(file),
        device=device,
        started_at=datetime.now(timezone.utc),
        timeout=float(timeout),
        memory_bytes=limit,
        test_timeout=per_test,
    )
    return Plan(command, env, float(timeout), state, ReportReader(report), tmpdir)


def _kill_group(pid: int) -> None:
    """SIGKILL the run's whole process group (it has its own session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def check_lab(
    slug: str,
    file: Path,
    device: str = "cpu",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int | None = DEFAULT_MEMORY,
    on_event: Callable[[TestEvent], None] | None = None,
    labs_root: Path | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
) -> CheckResult:
    """Grade `file` with lab `slug`'s tests, blocking; `on_event` sees each test start and finish."""
    plan = plan_check(slug, file, device, timeout=timeout, memory_bytes=memory_bytes, labs_root=labs_root,
                      test_timeout=test_timeout)  # fmt: skip
    start = time.monotonic()
    proc = subprocess.Popen(
        plan.command, cwd=PROJECT_ROOT, env=plan.env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    timed_out = False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            pipe_open = True
            while pipe_open or proc.poll() is None:
                remaining = start + plan.timeout - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                if pipe_open and selector.select(min(POLL_SECONDS, remaining)):
                    chunk = os.read(proc.stdout.fileno(), 65536)
                    pipe_open = bool(chunk)
                    plan.state.output.feed(chunk)
                elif not pipe_open:
                    time.sleep(POLL_SECONDS)
                if proc.poll() is not None:
                    _kill_group(proc.pid)  # strays that still hold the pipe
                for event in plan.events():
                    if on_event is not None:
                        on_event(event)
    finally:
        _kill_group(proc.pid)
        proc.wait()
        proc.stdout.close()
    return plan.finish(proc.returncode, timed_out, time.monotonic() - start)


async def _pump(stream: asyncio.StreamReader, plan: Plan) -> None:
    while chunk := await stream.read(65536):
        plan.state.output.feed(chunk)


async def stream_check(
    slug: str,
    file: Path,
    device: str = "cpu",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int | None = DEFAULT_MEMORY,
    labs_root: Path | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
) -> AsyncIterator[TestEvent | CheckResult]:
    """Grade like `check_lab`, yielding TestEvents as they happen and the CheckResult last.

    Cancelling the consuming task, or closing the iterator, kills the subprocess group. A consumer that may stop
    early should iterate inside `contextlib.aclosing(stream_check(...))` so the close happens at once, not at GC.
    """
    plan = plan_check(slug, file, device, timeout=timeout, memory_bytes=memory_bytes, labs_root=labs_root,
                      test_timeout=test_timeout)  # fmt: skip
    start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *plan.command, cwd=PROJECT_ROOT, env=plan.env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    pump = asyncio.create_task(_pump(proc.stdout, plan))
    timed_out = False
    try:
        while not (pump.done() and proc.returncode is not None):
            if time.monotonic() - start >= plan.timeout:
                timed_out = True
                break
            for event in plan.events():
                yield event
            await asyncio.sleep(POLL_SECONDS)
            if proc.returncode is not None:
                _kill_group(proc.pid)
    finally:
        _kill_group(proc.pid)
        pump.cancel()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
    for event in plan.events():
        yield event
    yield plan.finish(proc.returncode, timed_out, time.monotonic() - start)
