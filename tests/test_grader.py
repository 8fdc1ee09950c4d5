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
    assert set(test) == {"nodeid", "name", "outcome", "seconds", "message", "oom"}
    assert test["nodeid"].endswith("test_fake_add.py::test_add_is_elementwise")
    (attempt,) = store.lab_attempts("fake_add")
    assert (attempt.outcome, attempt.passed, attempt.failed, attempt.device) == ("passed", 5, 0, device)
    assert attempt.file_sha256 == data["file_sha256"] and len(attempt.file_sha256) == 64


def test_cli_streams_each_failure_with_its_message(fake_labs: Path) -> None:
    result = runner.invoke(app, ["lab", "check", "fake_add", "--file", str(LEARNERS / "misbehaving.py")])
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "✓ test_add_is_elementwise" in out
    assert "✗ test_scale_multiplies" in out and "SystemExit: 4 (at misbehaving.py:11)" in out
    assert "running_total(x): values differ" in out and "expected [" in out and "got [" in out
    assert "misbehaving.py does not define `row_mean`" in out
    assert "FAILED 2 passed, 3 failed, 0 errors" in out
    assert "only the last 65536 were kept" in out  # 3 MiB of prints, capped
    (attempt,) = store.lab_attempts("fake_add")
    assert (attempt.outcome, attempt.passed, attempt.failed) == ("failed", 2, 3)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("syntax_error.py", "every test: SyntaxError in syntax_error.py line 3: expected ':'"),
        ("import_error.py", "every test: importing import_error.py raised ImportError: cannot import name"),
        ("exit_at_import.py", "every test: exit_at_import.py called sys.exit(3) while being imported"),
    ],
)
def test_file_that_cannot_be_imported_fails_every_test(name: str, message: str) -> None:
    result = _check(name)
    assert (result.outcome, result.exit_code, result.passed, result.errors) == ("failed", 1, 0, 5)
    assert result.message.startswith(message)


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


def test_infinite_loop_times_out_in_the_running_test() -> None:
    start = time.monotonic()
    result = _check("infinite_loop.py", timeout=10)
    assert time.monotonic() - start < 14
    assert (result.outcome, result.exit_code) == ("timeout", 1)
    assert result.message == "time limit of 10 s reached in test_scale_multiplies"


def test_memory_bomb_hits_the_memory_limit() -> None:
    result = _check("memory_bomb.py", memory_bytes=3 << 29)
    assert (result.outcome, result.exit_code) == ("oom", 1)
    assert result.message == "out of memory (limit 1.5 GiB) in test_scale_multiplies"
    (bomb,) = [t for t in result.tests if t.name == "test_scale_multiplies"]
    assert bomb.oom and bomb.message.startswith("out of memory (limit 1.5 GiB): MemoryError")
    assert result.passed == 1  # the tests after it still ran


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
    data = json.loads(result.stdout)
    if torch.cuda.is_available():
        assert (result.exit_code, data["outcome"], data["device"]) == (0, "passed", "cuda")
    else:
        assert (result.exit_code, data["outcome"]) == (2, "error")
        assert data["message"] == "--device cuda was asked for, but no CUDA device is available"


def test_the_lab_device_setting_is_the_default_and_the_option_wins(fake_labs: Path, trainer_home: Path) -> None:
    save_settings(Settings(lab_device="cuda"))
    check = ["lab", "check", "fake_add", "--file", str(SOLUTION), "--json"]
    by_setting = json.loads(runner.invoke(app, check).stdout)
    assert by_setting["device"] == "cuda" or by_setting["message"].startswith("--device cuda was asked for")
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
