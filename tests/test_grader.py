"""The subprocess grader end to end, on the fake lab of tests/fixtures: good, wrong and hostile learner files."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from trainer.cli import app
from trainer.config import Settings, save_settings
from trainer.labs import CheckResult, TestEvent, check_lab, stream_check
from trainer.store import database as store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAKE_ROOT = FIXTURES / "labs"
SOLUTION = FAKE_ROOT / "fake_add" / "solution.py"
LEARNERS = FIXTURES / "learners"
runner = CliRunner()


@pytest.fixture
def fake_labs(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the registry (and so the CLI) at the fake labs; wide terminal so messages are not wrapped."""
    monkeypatch.setenv("TRAINER_LABS", str(FAKE_ROOT))
    monkeypatch.setenv("COLUMNS", "200")
    return FAKE_ROOT


def _check(name: str, **kwargs: object) -> CheckResult:
    return check_lab("fake_add", LEARNERS / name, labs_root=FAKE_ROOT, **kwargs)  # type: ignore[arg-type]


def test_cli_json_pass_is_one_object_and_stored(fake_labs: Path) -> None:
    args = ["lab", "check", "fake_add", "--file", str(SOLUTION), "--device", "auto", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outcome"] == "passed" and data["exit_code"] == 0
    assert (data["passed"], data["failed"], data["errors"], data["not_run"]) == (5, 0, 0, 0)
    device = "cuda" if torch.cuda.is_available() else "cpu"  # what --device auto resolves to
    assert data["device"] == device and data["file"] == str(SOLUTION)
    test = data["tests"][0]
    assert set(test) == {"nodeid", "name", "outcome", "seconds", "message", "oom", "timeout"}
    assert data["import_error"] == ""
    assert test["nodeid"].endswith("test_fake_add.py::test_add_is_elementwise")
    (attempt,) = store.lab_attempts("fake_add")
    assert (attempt.outcome, attempt.passed, attempt.failed, attempt.device) == ("passed", 5, 0, device)
    assert attempt.file_sha256 == data["file_sha256"] and len(attempt.file_sha256) == 64


def test_cli_streams_each_failure_once_with_its_message(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(LEARNERS / "misbehaving.py")])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "✓" not in out  # passes are counted, not listed
    assert out.count("✗ test_scale_multiplies") == 1 and "SystemExit: 4 (at misbehaving.py:11)" in out
    assert out.count("running_total(x): values differ") == 1
    assert "misbehaving.py does not define `row_mean`" in out
    assert "First to fix: test_scale_multiplies" in out and "FAILED 2 of 5 passed, 3 failed in" in out
    assert "only the last 65536 were kept" in out  # 3 MiB of prints, capped
    assert len(out.splitlines()) <= 12, out
    (attempt,) = store.lab_attempts("fake_add")
    assert (attempt.outcome, attempt.passed, attempt.failed) == ("failed", 2, 3)


def test_cli_verbose_lists_every_test(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(LEARNERS / "misbehaving.py"), "-v"])
    assert "✓ test_add_is_elementwise" in result.stdout and "pytest output" in result.stdout


def test_cli_pass_is_two_lines(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(SOLUTION)])
    assert result.exit_code == 0
    checking, verdict = result.stdout.splitlines()
    assert checking.startswith("Checking ") and verdict.startswith("PASSED all 5 tests in ")


def test_cli_a_file_that_cannot_be_imported_is_one_line(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(LEARNERS / "syntax_error.py")])
    assert result.exit_code == 1
    checking, verdict = result.stdout.splitlines()
    reason = "SyntaxError in syntax_error.py line 3: expected ':'"
    assert verdict.startswith("FAILED your file could not be imported, so none of the 5 tests ran: " + reason)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("syntax_error.py", "SyntaxError in syntax_error.py line 3: expected ':'"),
        ("import_error.py", "importing import_error.py raised ImportError: cannot import name"),
        ("exit_at_import.py", "exit_at_import.py called sys.exit(3) while being imported"),
    ],
)
def test_file_that_cannot_be_imported_fails_every_test(name: str, message: str) -> None:
    result = _check(name)
    assert (result.outcome, result.exit_code, result.passed, result.errors) == ("failed", 1, 0, 5)
    assert result.import_error.startswith(message)
    assert result.message.startswith("your file could not be imported, so no test could run: " + message)


def test_os_exit_at_import_is_blamed_on_the_import_not_a_test() -> None:
    result = _check("os_exit_at_import.py")
    assert (result.outcome, result.exit_code, result.not_run) == ("crashed", 1, 5)
    assert result.message == "the test process exited with code 5 (os._exit or a crash) while importing your file"


def test_os_exit_is_a_crash_in_the_running_test_streamed() -> None:
    async def collect() -> list[TestEvent | CheckResult]:
        return [item async for item in stream_check("fake_add", LEARNERS / "os_exit.py", labs_root=FAKE_ROOT)]

    *events, result = asyncio.run(collect())
    assert isinstance(result, CheckResult)
    assert [(e.kind, e.name) for e in events if isinstance(e, TestEvent)][-1] == ("started", "test_scale_multiplies")
    assert (result.outcome, result.exit_code) == ("crashed", 1)
    assert result.message == "the test process exited with code 7 (os._exit or a crash) in test_scale_multiplies"
    outcomes = {t.name: t.outcome for t in result.tests}
    assert outcomes["test_add_is_elementwise"] == "passed"
    assert outcomes["test_scale_multiplies"] == "error"
    assert result.not_run == 3


def test_a_test_past_its_own_limit_is_stopped_and_the_others_still_run() -> None:
    result = _check("busy_loop_swallowing.py", test_timeout=2)  # it spins on the CPU and swallows exceptions
    assert (result.outcome, result.exit_code, result.passed, result.not_run) == ("timeout", 1, 4, 0)
    assert result.message == "time limit of 2 s per test reached in test_scale_multiplies; the other tests ran"
    (stopped,) = [t for t in result.tests if t.timeout]
    assert stopped.name == "test_scale_multiplies" and stopped.message.startswith("stopped after 2 s")


def test_an_endless_import_is_stopped_at_the_per_test_limit() -> None:
    result = _check("loop_at_import.py", test_timeout=2)
    assert (result.outcome, result.exit_code, result.not_run) == ("timeout", 1, 0)
    assert result.import_error.startswith("importing it took longer than 2 s")


def test_the_run_limit_stays_the_outer_fence() -> None:
    result = _check("blocks_the_stop_signal.py", timeout=10, test_timeout=2)  # the per-test limit cannot reach it
    assert (result.outcome, result.exit_code) == ("timeout", 1)
    # where it struck: in the blocked test, or (on a machine too busy to start the tests in 10 s) before it
    assert result.message in ("time limit of 10 s reached in test_scale_multiplies",
                              "time limit of 10 s reached before any test started (importing or collecting)")


def test_memory_bomb_hits_the_memory_limit() -> None:
    result = _check("memory_bomb.py", memory_bytes=3 << 29)
    assert (result.outcome, result.exit_code) == ("oom", 1)
    assert result.message == "out of memory (limit 1.5 GiB) in test_scale_multiplies"
    (bomb,) = [t for t in result.tests if t.name == "test_scale_multiplies"]
    assert bomb.oom and bomb.message.startswith("out of memory (limit 1.5 GiB): MemoryError")
    assert result.passed == 1  # the tests after it still ran


def test_the_tests_after_a_memory_bomb_get_its_memory_back() -> None:
    result = _check("memory_bomb_then_allocates.py", memory_bytes=3 << 29)
    assert (result.outcome, result.message) == ("oom", "out of memory (limit 1.5 GiB) in test_scale_multiplies")
    assert [t.name for t in result.tests if t.outcome != "passed"] == ["test_scale_multiplies"]  # 768 MiB each


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if pid.isdigit() and text.encode() in cmdline:
            found.append(int(pid))
    return found


def test_stream_check_yields_events_and_cancelling_kills_the_run(tmp_path: Path) -> None:
    learner = tmp_path / "loop_to_cancel.py"
    shutil.copyfile(LEARNERS / "infinite_loop.py", learner)
    seen: list[TestEvent | CheckResult] = []

    async def consume() -> None:
        async for item in stream_check("fake_add", learner, timeout=60, labs_root=FAKE_ROOT):
            seen.append(item)  # after test_scale_multiplies starts, the learner's loop spins: no more events

    async def main() -> None:
        task = asyncio.create_task(consume())
        while not (seen and getattr(seen[-1], "name", "") == "test_scale_multiplies"):
            await asyncio.sleep(0.05)
        assert _processes_mentioning(str(learner))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 40))
    kinds = [(e.kind, e.name) for e in seen if isinstance(e, TestEvent)]
    assert kinds[0] == ("session", "")
    assert kinds[1:4] == [("started", "test_add_is_elementwise"), ("finished", "test_add_is_elementwise"),
                          ("started", "test_scale_multiplies")]  # fmt: skip
    assert seen[0].total == 5
    deadline = time.monotonic() + 5
    while _processes_mentioning(str(learner)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(str(learner)) == []


def test_cuda_without_a_gpu_could_not_run(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(SOLUTION), "--device", "cuda", "--json"])
    if torch.cuda.is_available():
        data = json.loads(result.stdout)
        assert (result.exit_code, data["outcome"], data["device"]) == (0, "passed", "cuda")
    else:
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr.startswith("error: a check on cuda cannot run here: ")


def test_a_cpu_only_torch_refuses_cuda_at_once_in_one_line(fake_labs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.labs import cuda

    monkeypatch.setattr(cuda, "torch_build", lambda: {"__version__": "2.13.0+cpu", "cuda": None, "hip": None})
    monkeypatch.setattr(subprocess, "Popen", None)  # no grading process may start
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(SOLUTION), "--device", "cuda"])
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: a check on cuda cannot run here: this torch (2.13.0+cpu) is a CPU-only build")
    assert store.lab_attempts() == []


def test_the_torch_build_is_read_without_importing_it() -> None:
    from trainer.labs.cuda import torch_build

    build = torch_build()
    assert build is not None and build["__version__"] == torch.__version__
    assert build["cuda"] == torch.version.cuda and build["hip"] == torch.version.hip


def test_a_device_machine_passes_the_early_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.labs import cuda

    monkeypatch.setattr(cuda, "torch_build", lambda: {"__version__": "2.11.0+cu130", "cuda": "13.0", "hip": None})
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(cuda, "DRIVER_PATHS", (str(FIXTURES),))  # stands in for /dev/nvidiactl
    assert cuda.cuda_problem() is None
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert "hides every GPU" in (cuda.cuda_problem() or "")


def test_the_lab_device_setting_is_the_default_and_the_option_wins(fake_labs: Path, trainer_home: Path) -> None:
    save_settings(Settings(lab_device="cuda"))
    check = ["lab", "check", "fake_add", "--file", str(SOLUTION), "--json"]
    by_setting = runner.invoke(app, check)
    assert json.loads(by_setting.stdout)["device"] == "cuda" if by_setting.stdout else "on cuda" in by_setting.stderr
    by_option = json.loads(runner.invoke(app, [*check, "--device", "cpu"]).stdout)
    assert (by_option["outcome"], by_option["device"]) == ("passed", "cpu")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lab", "check", "no_such_lab"], "unknown lab 'no_such_lab'; available labs: fake_add"),
        (["lab", "check", "rnn_vs_attention"], "lab 'rnn_vs_attention' is not yet available (card 1)"),
        (["lab", "check", "fake_add"], "run `trainer lab start fake_add` first"),
        (["lab", "check", "fake_add", "--file", "/nonexistent/x.py"], "no such file: /nonexistent/x.py"),
        (["lab", "check", "fake_add", "--file", str(SOLUTION), "--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_check_that_cannot_start_exits_2(fake_labs: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr.replace("\n", "")
    assert store.lab_attempts() == []


def test_watch_checks_again_after_each_save(tmp_path: Path) -> None:
    """`trainer lab watch` grades at once, then again when the file changes (rustlings' watch mode)."""
    target = tmp_path / "mine.py"
    shutil.copy(FAKE_ROOT / "fake_add" / "starter.py", target)
    env = {**os.environ, "TRAINER_LABS": str(FAKE_ROOT), "COLUMNS": "200"}
    code = "from trainer.launcher import main; main()"
    argv = [sys.executable, "-c", code, "lab", "watch", "fake_add", "--file", str(target), "--runs", "2", "--poll", "0.1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if "Watching for changes" in line:
            shutil.copy(FAKE_ROOT / "fake_add" / "solution.py", target)
    assert proc.wait(timeout=120) == 0
    out = "".join(lines)
    assert out.index("FAILED") < out.index("Watching for changes") < out.index("PASSED"), out
    assert "First to fix:" in out.split("Watching for changes")[0]
