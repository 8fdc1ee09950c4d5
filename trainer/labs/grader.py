"""The grader: runs a lab's pytest file on a learner's file in a limited subprocess, and reports each test.

One implementation, two thin drivers: `check_lab` (blocking, for the CLI) and `stream_check` (an async
iterator, for the TUI). The subprocess is `python -m pytest <labs/slug/test_slug.py> --lab-file FILE
--device DEV -p labs.grading.report`, in a fresh working folder, with:

- the project's pytest settings kept out (`-c labs/grading/pytest.ini`, plugin autoload off);
- a wall-clock limit (the whole process group is killed), and inside it a time limit per test (the report
  plugin stops a test that runs past it, and the next test runs);
- a memory limit on CPU: the plugin sets RLIMIT_AS to what Python, torch and pytest have mapped when the tests
  start plus `memory_bytes`, so a runaway allocation raises MemoryError in the test that made it. It is set in
  the child, not in `preexec_fn` (unsafe in the threaded TUI) nor before `import torch` (a CUDA build maps
  gigabytes of libraries); none on CUDA;
- stdin closed, stdout+stderr merged and capped to the last 64 KiB;
- per-test results read from the plugin's JSON-lines file, never from pytest's text output;
- a sandbox (`trainer.labs.launch`, `trainer.labs.sandbox`): a scrubbed environment, a fresh HOME, TMPDIR and
  working folder, and where Linux allows it the trainer's data hidden, every file but the check's own folder
  read-only, no network and no other process in sight; the verdict's `sandbox` says what applied.

`device="auto"` means "cuda if the grading subprocess sees one": the plugin probes torch there (the
trainer never imports torch) and then applies the memory limit only if it picked cpu.

Given a `WarmGrader` (`lab watch`, the TUI), a check runs in a child forked from a warm process that has already
imported torch, pytest and the lab's tests (`trainer.labs.warm`, `labs/grading/warm.py`), with the same arguments,
sandbox, limits and report file: the drivers read it the same way, so the verdict is the same, only sooner.
"""

from __future__ import annotations

import asyncio
import hashlib
import select
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from trainer.labs.cuda import cuda_problem
from trainer.labs.launch import Launch, prepare
from trainer.labs.registry import Lab, LabError, find_lab
from trainer.labs.results import CheckResult, ReportReader, RunState, TestEvent
from trainer.labs.running import ColdRun, Running, read_chunk
from trainer.labs.warm import START_LIMIT, Server, WarmGrader, WarmUnavailable
from trainer.paths import PROJECT_ROOT

DEFAULT_TIMEOUT = 60.0
DEFAULT_TEST_TIMEOUT = 10.0
"""Each test's own limit inside the run, so that one endless loop does not hide the other tests' results."""
DEFAULT_MEMORY = 4 << 30
DEVICES = ("auto", "cpu", "cuda")
GRADER_INI = PROJECT_ROOT / "labs" / "grading" / "pytest.ini"
REPORT_PLUGIN = "labs.grading.report"
POLL_SECONDS = 0.02


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
    """A validated run: its lab, launch (command, environment, folder, sandbox), limits, and the state it reports
    into."""

    lab: Lab
    launch: Launch
    timeout: float
    state: RunState
    reader: ReportReader

    def events(self) -> list[TestEvent]:
        """New UI events from the report file."""
        raws = (raw for raw in self.reader.read() if not self.launch.take(raw))
        return [self.launch.event(e) for e in (self.state.apply(raw) for raw in raws) if e is not None]

    def drain(self, run: Running) -> bool:
        """Take what the run's output holds now (a flood: at most 1 MiB per call); False once it has ended."""
        for _ in range(16):
            chunk = read_chunk(run.output)
            if chunk is None:
                return True
            if not chunk:
                return False
            self.state.output.feed(chunk)
        return True

    def finish(self, returncode: int | None, timed_out: bool, seconds: float, warm: bool, note: str) -> CheckResult:
        """Read the last events, build the verdict (with the sandbox's part), remove the check's folder."""
        self.events()
        result = self.state.finish(returncode, timed_out, seconds)
        self.launch.tmpdir.cleanup()
        return replace(self.launch.verdict(result), warm=warm, warm_note=note)


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
    limit_args = [] if limit is None else ["--memory-limit", str(limit)]
    per_test = min(float(test_timeout), float(timeout))
    launch = prepare(file, lab.root, [*pytest_args(lab, file, device), *limit_args, "--test-timeout", f"{per_test:g}"])
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
    return Plan(lab, launch, float(timeout), state, ReportReader(launch.report))


class CheckCancelled(Exception):
    """`check_lab` stopped the run because its `cancel` callback said so (the file was saved again)."""


def _cold(plan: Plan, why: str) -> tuple[Running, bool, str]:
    """A cold run, and why the warm grader was not used ('' when none was asked for)."""
    return ColdRun(plan.launch), False, f"checked without the warm grader: {why}" if why else ""


def _start(plan: Plan, server: Server | str | None, wait: float | None = None) -> tuple[Running, bool, str]:
    """Start the run: in `server`, the warm process `WarmGrader.server_for` gave, when it is ready within `wait`
    seconds (default START_LIMIT); else cold, saying why (`server` is that reason when there is none)."""
    if server is None or isinstance(server, str):
        return _cold(plan, server or "")
    if not server.wait_ready(START_LIMIT if wait is None else wait):
        server.close(f"it was not ready after {START_LIMIT:g} s")  # (or it stopped): the next check tries anew
        return _cold(plan, server.reason)
    try:
        return server.start(plan.launch), True, ""
    except WarmUnavailable as exc:
        return _cold(plan, str(exc))


async def _start_async(plan: Plan, warm: WarmGrader | None) -> tuple[Running, bool, str]:
    """`_start` for the event loop: the wait for the warm process to be ready never blocks it."""
    server = None if warm is None else warm.server_for(plan.lab)
    if isinstance(server, Server):
        deadline = time.monotonic() + START_LIMIT
        while not server.wait_ready(0) and server.state == "starting" and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
    return _start(plan, server, wait=0)


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
    warm: WarmGrader | None = None,
    cancel: Callable[[], bool] | None = None,
) -> CheckResult:
    """Grade `file` with lab `slug`'s tests, blocking; `on_event` sees each test start and finish. With `warm`, in its
    warm process when it can; `cancel()`, asked as the run goes, stops it (CheckCancelled)."""
    plan = plan_check(slug, file, device, timeout=timeout, memory_bytes=memory_bytes, labs_root=labs_root,
                      test_timeout=test_timeout)  # fmt: skip
    begun = time.monotonic()  # the check's seconds include the wait for a warm process that is starting
    try:
        run, is_warm, note = _start(plan, None if warm is None else warm.server_for(plan.lab))
    except BaseException:  # Ctrl+C while waiting for the warm process
        plan.launch.tmpdir.cleanup()
        raise
    start = time.monotonic()
    timed_out = False
    open_output = True
    cancelled = False
    try:
        while open_output or not run.poll():
            remaining = start + plan.timeout - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if cancel is not None and cancel():
                cancelled = True
                break
            watched = [run.output] if open_output else []
            select.select(watched + run.wakeups(), [], [], min(POLL_SECONDS, remaining))
            if open_output:
                open_output = plan.drain(run)
            if run.poll():
                run.kill()  # strays that still hold the output
            for event in plan.events():
                if on_event is not None:
                    on_event(event)
    except BaseException:
        plan.launch.tmpdir.cleanup()
        raise
    finally:
        run.kill()
        returncode = run.close()
    if cancelled:
        plan.launch.tmpdir.cleanup()
        raise CheckCancelled(str(file))
    return plan.finish(returncode, timed_out, time.monotonic() - begun, is_warm, note)


async def stream_check(
    slug: str,
    file: Path,
    device: str = "cpu",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_bytes: int | None = DEFAULT_MEMORY,
    labs_root: Path | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT,
    warm: WarmGrader | None = None,
) -> AsyncIterator[TestEvent | CheckResult]:
    """Grade like `check_lab`, yielding TestEvents as they happen and the CheckResult last.

    Cancelling the consuming task, or closing the iterator, kills the run's process group. A consumer that may stop
    early should iterate inside `contextlib.aclosing(stream_check(...))` so the close happens at once, not at GC.
    """
    plan = plan_check(slug, file, device, timeout=timeout, memory_bytes=memory_bytes, labs_root=labs_root,
                      test_timeout=test_timeout)  # fmt: skip
    begun = time.monotonic()
    try:
        run, is_warm, note = await _start_async(plan, warm)
    except BaseException:  # cancelled while waiting for the warm process
        plan.launch.tmpdir.cleanup()
        raise
    start = time.monotonic()
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()
    open_output = True

    def on_output() -> None:
        nonlocal open_output
        open_output = plan.drain(run)
        if not open_output:
            loop.remove_reader(run.output)
        woken.set()

    loop.add_reader(run.output, on_output)
    timed_out = False
    try:
        while open_output or not run.poll():
            if time.monotonic() - start >= plan.timeout:
                timed_out = True
                break
            for event in plan.events():
                yield event
            try:
                await asyncio.wait_for(woken.wait(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
            woken.clear()
            if run.poll():
                run.kill()
    except BaseException:  # cancelled, or the iterator closed: no verdict, no folder left behind
        plan.launch.tmpdir.cleanup()
        raise
    finally:
        if open_output:
            loop.remove_reader(run.output)
        run.kill()
        returncode = run.close()
    for event in plan.events():
        yield event
    yield plan.finish(returncode, timed_out, time.monotonic() - begun, is_warm, note)
