"""Pytest plugin that writes a lab run's per-test results as JSON lines, one flushed line per event.

Loaded by the grader with `-p labs.grading.report --report-file PATH [--memory-limit BYTES] [--auto-device]
[--test-timeout SECONDS]`. It needs only pytest and torch, never trainer code, so it also runs on GPU machines.
Events, in order:

- `{"event": "session", "device", "memory_limit", "torch", "nodeids"}` once the tests are collected (the device
  and the memory limit actually used: `--auto-device` picks cuda when torch sees one);
- `{"event": "started", "nodeid", "name"}` before each test, so a crash can be pinned on the running test;
- `{"event": "importing"}` when the `lab` fixture starts importing the learner's file, then `{"event":
  "imported"}`, or `{"event": "import_error", "message"}` once when the import fails (every test then fails with
  that message), so that a crash or a failure while importing is blamed on the file, not on the first test;
- `{"event": "test", "nodeid", "name", "outcome", "seconds", "message", "oom", "timeout"}` after each test
  (outcome: passed, failed, error or skipped; message: the failure in one short paragraph; timeout: the test
  was stopped at its own time limit);
- `{"event": "collect_error", "nodeid", "message"}` when the lab's test file cannot be collected;
- `{"event": "abort", "message", "kind"}` when the run is stopped: `pytest.exit` (kind `Exit`, e.g. `--device cuda`
  without CUDA) or a KeyboardInterrupt raised by learner code;
- `{"event": "finish", "exitstatus"}` when pytest ends normally.

A process that dies (os._exit, a signal, the memory limit) simply stops writing; the grader reads what is there.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

import pytest

REPORT_ENV = "TRAINER_LAB_REPORT"
MESSAGE_LIMIT = 4000
LEARNER_FIXTURE = "lab"
"""The fixture that imports the learner's file (labs/conftest.py)."""
STOP_SIGNAL = signal.SIGUSR2
"""What the watchdog sends to stop a test: not SIGALRM, which lab tests use for their own "formula" limits."""
STOP_REPEAT = 1.0
"""Seconds between further stop signals while a stopped test is still running (its code swallowed the first)."""
_OOM_MARKERS = ("can't allocate memory", "out of memory", "DefaultCPUAllocator")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trainer lab report")
    group.addoption("--report-file", default=None, help=f"write JSON-lines results here (or ${REPORT_ENV})")
    group.addoption(
        "--memory-limit",
        type=int,
        default=0,
        help="on CPU, cap the address space at what is mapped when the tests start plus this many bytes",
    )
    group.addoption(
        "--auto-device",
        action="store_true",
        default=False,
        help="use cuda when torch.cuda.is_available(), else cpu (overrides --device)",
    )
    group.addoption(
        "--test-timeout",
        type=float,
        default=0.0,
        help="stop a test (setup and call) that runs longer than this many seconds; 0: no limit",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--report-file") or os.environ.get(REPORT_ENV)
    if path:
        config.pluginmanager.register(JsonLinesReport(Path(path), config), "trainer-lab-report")
    limit = config.getoption("--test-timeout")
    if limit and limit > 0:
        config.pluginmanager.register(Watchdog(limit), "trainer-lab-watchdog")


class TestTimeLimit(BaseException):
    """Raised in the main thread when a test runs past its limit. A BaseException, so that learner code catching
    Exception does not swallow it; pytest still records it as the test's failure."""

    __test__ = False


class Watchdog:
    """The per-test time limit, inside one run (the grader's wall-clock limit stays the outer fence).

    A daemon thread waits for the running test's deadline, then sends STOP_SIGNAL to the main thread with
    `signal.pthread_kill`; the handler raises TestTimeLimit there, but only while a setup or call phase is running
    (inside pytest's own exception capture), so the test fails and the next one runs. Code stuck in Python (a
    loop, a sleep) is stopped; code stuck inside one long C call is stopped when that call returns, or by the
    outer fence. It never uses SIGALRM or ITIMER_REAL, which lab tests use themselves.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._deadline: float | None = None
        self._inside = False
        self._main = threading.main_thread().ident
        self._wake = threading.Condition()
        signal.signal(STOP_SIGNAL, self._on_signal)
        threading.Thread(target=self._watch, name="trainer-test-watchdog", daemon=True).start()

    def _expired(self) -> bool:
        return self._inside and self._deadline is not None and time.monotonic() >= self._deadline

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._expired():
            raise TestTimeLimit(
                f"stopped after {self.limit:g} s, this test's time limit (an endless loop, or far too slow?)"
            )

    def _watch(self) -> None:
        while True:
            with self._wake:
                deadline = self._deadline
                if deadline is None:
                    self._wake.wait()
                    continue
                if time.monotonic() < deadline:
                    self._wake.wait(deadline - time.monotonic())
                    continue
                expired = self._expired()
            if expired and self._main is not None:
                signal.pthread_kill(self._main, STOP_SIGNAL)
            time.sleep(STOP_REPEAT if expired else 0.05)

    def _set(self, deadline: float | None) -> None:
        with self._wake:
            self._deadline = deadline
            self._wake.notify()

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self._set(time.monotonic() + self.limit)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self._set(None)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._phase())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from self._phase())

    def _phase(self) -> Iterator[None]:
        """Let the signal raise only inside this phase (teardown never: its fixtures must finish cleaning up)."""
        self._inside = True
        try:
            return (yield)
        finally:
            self._inside = False


def _mapped_bytes() -> int:
    """The process's current address-space size (VmSize), 0 where /proc is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(extra: int) -> None:
    """RLIMIT_AS = what Python, torch and pytest map now + `extra`: the learner's code gets `extra` bytes more.

    Set here rather than before exec: a CUDA build of torch maps gigabytes of libraries at import.
    """
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    soft = _mapped_bytes() + extra
    resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _give_memory_back() -> None:
    """After a test ran out of memory, free what it took before the next test runs. Its traceback holds it, through
    pytest's copy of the last exception (kept for post-mortem debugging) and reference cycles that only the
    garbage collector breaks; until then every later test and report ran a few MiB short of the limit, and pytest
    could stop with an internal error instead of naming the test."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    gc.collect()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Resolve `--auto-device`, then apply `--memory-limit` on CPU (never on CUDA)."""
    config = session.config
    if config.getoption("--auto-device"):
        import torch

        config.option.device = "cuda" if torch.cuda.is_available() else "cpu"
    limit = config.getoption("--memory-limit")
    if limit and config.getoption("--device", default="cpu") == "cpu":
        _limit_memory(limit)
    else:
        config.option.memory_limit = 0


def _is_oom(exc: BaseException | None) -> bool:
    """MemoryError, or a torch allocator failure (CPU or CUDA)."""
    if isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(m in str(exc) for m in _OOM_MARKERS)


def _name(nodeid: str) -> str:
    """The test's name with its class and parameters: `test_x[4-2]` from `labs/a/test_a.py::test_x[4-2]`."""
    return nodeid.split("::", 1)[-1]


def _short(text: str) -> str:
    text = text.strip()
    for prefix in ("Failed: ", "_pytest.outcomes.Failed: "):
        text = text.removeprefix(prefix)
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + " [...]"


def failure_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The failure's own message (exception type and text), never the whole traceback."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return _short(crash.message)
    if isinstance(longrepr, tuple):  # a skip: (path, lineno, reason)
        return _short(str(longrepr[2]))
    lines = [line for line in str(longrepr or "").splitlines() if line.strip()]
    return _short(lines[-1] if lines else "")


class JsonLinesReport:
    """Collects setup/call/teardown reports per test and writes one line per event."""

    def __init__(self, path: Path, config: pytest.Config) -> None:
        self._out: IO[str] = path.open("a", encoding="utf-8")
        self._config = config
        self._lab_file = config.getoption("--lab-file", default=None)
        self._phases: dict[str, dict[str, Any]] = {}
        self._import_failure: BaseException | None = None
        """The exception the learner's import raised; pytest raises it again for every test that needs it."""

    def _write(self, **event: Any) -> None:
        self._out.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._out.flush()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        import torch

        nodeids = [item.nodeid for item in session.items]
        device = self._config.getoption("--device", default="cpu")
        limit = self._config.getoption("--memory-limit")
        self._write(event="session", device=device, memory_limit=limit, torch=torch.__version__, nodeids=nodeids)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._write(event="collect_error", nodeid=report.nodeid, message=failure_message(report))

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self._phases[nodeid] = {"outcome": "passed", "seconds": 0.0, "message": "", "oom": False, "line": "",
                                "timeout": False}  # fmt: skip
        self._write(event="started", nodeid=nodeid, name=_name(nodeid))

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
        """Around the import of the learner's file: `importing`, then `imported` or one `import_error`."""
        if fixturedef.argname != LEARNER_FIXTURE:
            return (yield)
        if self._import_failure is not None:  # pytest caches a failed import, but not one stopped by the watchdog
            raise self._import_failure
        self._write(event="importing")
        try:
            module = yield
        except BaseException as exc:
            self._import_failure = exc
            self._write(event="import_error", message=self._import_message(exc),
                        timeout=isinstance(exc, TestTimeLimit))  # fmt: skip
            raise
        self._write(event="imported")
        return module

    def _import_message(self, exc: BaseException) -> str:
        """What stopped the import, in one line (the fixture words its own failures)."""
        if isinstance(exc, TestTimeLimit):
            limit = self._config.getoption("--test-timeout")
            return f"importing it took longer than {limit:g} s, the time limit of a test (an endless loop at import?)"
        if isinstance(exc, pytest.fail.Exception):
            return _short(exc.msg)
        return _short(f"{type(exc).__name__}: {exc}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if call.excinfo is not None:
            state = self._phases.setdefault(item.nodeid, {})
            value = call.excinfo.value
            state["oom"] = state.get("oom", False) or _is_oom(value)
            state["line"] = state.get("line") or self._learner_line(call.excinfo)
            if value is self._import_failure:
                state["stopped"] = self._import_message(value)
            elif isinstance(value, TestTimeLimit):
                state["timeout"] = True
                state["stopped"] = str(value)
        return report

    def _learner_line(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
        """`file.py:LINE` of the deepest traceback entry inside the learner's file, if any."""
        if not self._lab_file:
            return ""
        target = Path(self._lab_file).resolve()
        for entry in reversed(excinfo.traceback):
            if Path(str(entry.path)).resolve() == target:
                return f"{target.name}:{entry.lineno + 1}"
        return ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        state = self._phases.setdefault(report.nodeid, {"outcome": "passed", "seconds": 0.0, "message": ""})
        state["seconds"] = state.get("seconds", 0.0) + report.duration
        if state["outcome"] != "passed" or report.passed:
            return
        if report.skipped:
            state["outcome"] = "skipped"
        elif report.when == "call":
            state["outcome"] = "failed"
        else:
            state["outcome"] = "error"
        state["message"] = state.get("stopped") or failure_message(report)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        state = self._phases.pop(nodeid, {})
        if state.get("oom"):
            _give_memory_back()
        message = state.get("message", "")
        if state.get("line") and message:
            message = f"{message} (at {state['line']})"
        self._write(
            event="test",
            nodeid=nodeid,
            name=_name(nodeid),
            outcome=state.get("outcome", "passed"),
            seconds=round(state.get("seconds", 0.0), 4),
            message=message,
            oom=bool(state.get("oom", False)),
            timeout=bool(state.get("timeout", False)),
        )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        message = _short(str(getattr(excinfo.value, "msg", excinfo.value)))
        self._write(event="abort", message=message, kind=type(excinfo.value).__name__)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._write(event="finish", exitstatus=int(exitstatus))
        self._out.close()
