"""The warm grader: the same verdicts as a cold check, each check isolated, and a warm process that lives exactly as
long as the watch (or app) that uses it."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox_support import hostile_file
from trainer.labs import CheckCancelled, CheckResult, check_lab, find_lab, warm
from trainer.labs import grader as grader_module
from trainer.labs.file_watch import FileWatch
from trainer.labs.warm import Server, WarmGrader
from trainer.paths import LABS_DIR

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAKE_ROOT = FIXTURES / "labs"
SOLUTION = FAKE_ROOT / "fake_add" / "solution.py"
LEARNERS = FIXTURES / "learners"
TRAINER = str(Path(sys.executable).with_name("trainer"))


@pytest.fixture(scope="module")
def grader() -> Iterator[WarmGrader]:
    """One warm grader for the module's checks (as one `lab watch` would be)."""
    with WarmGrader() as warm_grader:
        yield warm_grader


def _server(grader: WarmGrader) -> Server:
    assert isinstance(grader.server, Server)
    return grader.server


def _check(grader: WarmGrader | None, file: Path, slug: str = "fake_add", **limits: Any) -> CheckResult:
    root = FAKE_ROOT if slug == "fake_add" else LABS_DIR
    return check_lab(slug, file, labs_root=root, warm=grader, **limits)


def _verdict(result: CheckResult) -> dict[str, Any]:
    """What a check reports, but its times, its pytest output (which prints them) and how it ran."""
    data = result.to_dict()
    for key in ("seconds", "started_at", "output", "output_cut", "warm", "warm_note"):
        data.pop(key)
    for test in data["tests"]:
        test.pop("seconds")
    return data


@pytest.mark.parametrize(
    ("slug", "file"),
    [
        pytest.param("fake_add", SOLUTION, id="pass"),
        pytest.param("fake_add", LEARNERS / "misbehaving.py", id="failures-exit-flood"),
        pytest.param("fake_add", LEARNERS / "syntax_error.py", id="import-error"),
        pytest.param("fake_add", LEARNERS / "os_exit.py", id="crash", marks=pytest.mark.slow),
        pytest.param("fake_add", LEARNERS / "memory_bomb.py", id="memory", marks=pytest.mark.slow),
        # pytest's assertion rewriting ("where 9 = len(...)"): the warm process imported the rewritten test module
        pytest.param("kv_cache", Path(__file__).parent / "labs" / "wrong" / "kv_cache" / "extra_model_call.py",
                     id="kv_cache-rewritten-assert"),
    ],
)  # fmt: skip
def test_warm_and_cold_give_the_same_verdict(grader: WarmGrader, slug: str, file: Path) -> None:
    limits = {"memory_bytes": 3 << 29} if file.name == "memory_bomb.py" else {}
    warm_result = _check(grader, file, slug, **limits)
    cold_result = _check(None, file, slug, **limits)
    assert (warm_result.warm, warm_result.warm_note, cold_result.warm, cold_result.warm_note) == (True, "", False, "")
    assert _verdict(warm_result) == _verdict(cold_result)
    assert warm_result.output_cut > 0 if file.name == "misbehaving.py" else warm_result.output_cut == 0


def test_no_check_sees_what_an_earlier_one_did(grader: WarmGrader, tmp_path: Path) -> None:
    """Each check's module and torch are the warm process's, untouched: a change one check makes is gone in the next."""
    learner = tmp_path / "leaves_a_mark.py"
    learner.write_text(
        "import torch\n"
        "if getattr(torch, 'left_by_a_check', False):\n"
        "    raise RuntimeError('an earlier check left its mark')\n"
        "torch.left_by_a_check = True\n"
        "torch.add = lambda *args, **kwargs: 'patched'\n"
        + SOLUTION.read_text()
    )
    first, second = _check(grader, learner), _check(grader, learner)
    assert first.warm and second.warm
    assert _verdict(first) == _verdict(second) and "left its mark" not in second.message
    assert _check(grader, SOLUTION).outcome == "passed"  # torch.add is torch.add again


def test_the_warm_process_has_one_thread_and_survives_a_crash(grader: WarmGrader) -> None:
    _check(grader, SOLUTION)
    server = _server(grader)
    assert server.info["os_threads"] == 1  # no OpenMP or BLAS thread pool before the fork
    crashed = _check(grader, LEARNERS / "os_exit_at_import.py")
    assert crashed.outcome == "crashed" and crashed.warm
    again = _check(grader, SOLUTION)
    assert (again.outcome, again.warm, _server(grader).pid) == ("passed", True, server.pid)


def test_a_warm_process_that_stopped_is_replaced_after_one_cold_check(grader: WarmGrader) -> None:
    _check(grader, SOLUTION)
    old = _server(grader).pid
    os.kill(old, signal.SIGKILL)
    time.sleep(0.2)
    cold = _check(grader, SOLUTION)
    assert (cold.outcome, cold.warm) == ("passed", False)
    assert cold.warm_note.startswith("checked without the warm grader: the warm process had stopped (it stopped)")
    assert cold.to_dict()["warm"] is False
    warm_again = _check(grader, SOLUTION)
    assert (warm_again.outcome, warm_again.warm) == ("passed", True) and _server(grader).pid != old


def test_a_warm_process_that_cannot_start_leaves_the_checks_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm, "SERVER_MODULE", "labs.grading.no_such_server")
    lab = find_lab("fake_add", FAKE_ROOT)
    with WarmGrader() as broken:
        cold = _check(broken, SOLUTION)
        assert (cold.outcome, cold.warm) == ("passed", False)
        assert "No module named labs.grading.no_such_server" in cold.warm_note
        second = broken.server_for(lab)  # tried once more: the next check would wait for it, then run cold
        assert isinstance(second, Server) and not second.wait_ready(60) and "No module named" in second.reason
        assert broken.server_for(lab) == "the warm process failed to start 2 times"


def test_a_warm_process_that_never_gets_ready_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(120)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(warm, "SERVER_MODULE", "hangs")
    monkeypatch.setattr(grader_module, "START_LIMIT", 1.0)
    with WarmGrader() as stuck:
        result = _check(stuck, SOLUTION)
        server = stuck.server
        assert (result.outcome, result.warm) == ("passed", False)
        assert result.warm_note == "checked without the warm grader: it was not ready after 1 s"
        assert isinstance(server, Server) and server.proc.poll() is not None


def test_a_changed_lab_gets_a_new_warm_process(tmp_path: Path) -> None:
    labs = tmp_path / "labs"
    shutil.copytree(FAKE_ROOT, labs)
    with WarmGrader() as grader:
        first = check_lab("fake_add", SOLUTION, labs_root=labs, warm=grader)
        pid = _server(grader).pid
        tests = labs / "fake_add" / "test_fake_add.py"
        tests.write_text(tests.read_text() + "\n\ndef test_one_more(lab, device):\n    assert lab.add(1, 2) == 3\n")
        second = check_lab("fake_add", SOLUTION, labs_root=labs, warm=grader)
        assert (first.total, second.total, second.warm) == (5, 6, True) and _server(grader).pid != pid


def test_a_cancelled_check_ends_and_the_next_one_runs(grader: WarmGrader) -> None:
    _check(grader, SOLUTION)
    pid = _server(grader).pid
    deadline = time.monotonic() + 0.5
    with pytest.raises(CheckCancelled):
        _check(grader, LEARNERS / "infinite_loop.py", cancel=lambda: time.monotonic() > deadline)
    assert time.monotonic() - deadline < 3
    after = _check(grader, SOLUTION)
    assert (after.outcome, after.warm, _server(grader).pid) == ("passed", True, pid)


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_warm_process_ends_with_the_trainer(tmp_path: Path) -> None:
    """A trainer that dies without closing it (os._exit: no cleanup runs) leaves no warm process, nor its folder."""
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from trainer.labs import check_lab\n"
        "from trainer.labs.warm import WarmGrader\n"
        "grader = WarmGrader()\n"
        f"result = check_lab('fake_add', Path({str(SOLUTION)!r}), labs_root=Path({str(FAKE_ROOT)!r}), warm=grader)\n"
        "print(result.warm, grader.server.pid, grader.server._folder.name, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    warm_flag, pid, folder = out.stdout.split()
    assert warm_flag == "True"
    assert _gone_within(int(pid), 10) and not Path(folder).exists()


def test_a_save_is_noticed_at_once(tmp_path: Path) -> None:
    target, replacement = tmp_path / "mine.py", tmp_path / "mine.py.new"
    target.write_text("one\n")
    replacement.write_text("one\n")
    with FileWatch(target) as saves:
        assert not saves.changed()
        threading.Timer(0.3, lambda: os.replace(replacement, target)).start()  # an editor that saves by renaming
        start = time.monotonic()
        saves.wait(5)
        waited = time.monotonic() - start
        assert saves.changed() and not saves.changed()
        if sys.platform == "linux":
            assert saves.uses_inotify and waited < 2


# ----- `trainer lab watch` with every kind of hostile file, in one warm process


def _fill(name: str, folder: Path) -> Path:
    """A hostile file's text, placeholders filled with harmless paths under `folder`."""
    fill = {"home_folder": folder / "home", "safe_root": folder, "data_folder": folder / "data", "port": 9}
    text = (LEARNERS / name).read_text()
    needed = {key: value for key, value in fill.items() if f"@{key.upper()}@" in text}
    (folder / "sources").mkdir(exist_ok=True)
    return hostile_file(name, folder / "sources", **needed)


QUICK = [
    ("syntax_error.py", r"FAILED your file could not be imported, so none of the 5 tests ran: SyntaxError in mine.py"),
    ("import_error.py", r"FAILED your file could not be imported.*ImportError"),
    ("exit_at_import.py", r"FAILED your file could not be imported.*called sys\.exit\(3\)"),
    ("os_exit_at_import.py", r"CRASHED 0 of 5 passed, 5 not run.*\n.*exited with code 5 .* while importing your file"),
    ("os_exit.py", r"CRASHED 1 of 5 passed.*\n.*exited with code 7 .* in test_scale_multiplies"),
    ("misbehaving.py", r"FAILED 2 of 5 passed, 3 failed.*\n.*only the last 65536 were kept"),
    ("memory_bomb.py", r"(OOM|TIMEOUT) .*\n.*in test_scale_multiplies"),
    ("infinite_loop.py", r"TIMEOUT .*\n.*time limit of 3 s .*test_scale_multiplies"),
]
SLOW = [
    ("loop_at_import.py", r"TIMEOUT .*\n.*(while importing your file|importing it took longer)"),
    ("busy_loop_swallowing.py", r"TIMEOUT .*\n.*test_scale_multiplies"),
    ("blocks_the_stop_signal.py", r"TIMEOUT .*\n.*time limit of 3 s reached"),
    ("deletes_home.py", r"FAILED (your file could not be imported.*Read-only file system|0 of 5 passed)"),
    ("overwrites_database.py", r"FAILED your file could not be imported.*RuntimeError"),
    ("opens_socket.py", r"FAILED your file could not be imported.*OSError"),
]
VERDICT = re.compile(r"^(PASSED|FAILED|CRASHED|TIMEOUT|OOM|ERROR) ", re.MULTILINE)


def _warm_servers(parent: int) -> set[int]:
    """The warm processes that `parent` started (its children running labs.grading.warm)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"labs.grading.warm" in cmdline:
            found.add(int(entry))
    return found


def _watch_in_turn(tmp_path: Path, files: list[tuple[str, str]]) -> None:
    """Save each file in turn under one `trainer lab watch`, each verdict as expected, then the solution passes; all
    of it in the one warm process the watch started, which Ctrl+C ends."""
    target = tmp_path / "mine.py"
    sources = [(_fill(name, tmp_path), pattern) for name, pattern in files]
    shutil.copy(sources[0][0], target)
    env = {**os.environ, "TRAINER_LABS": str(FAKE_ROOT), "COLUMNS": "300", "HOME": str(tmp_path / "home")}
    (tmp_path / "home").mkdir(exist_ok=True)
    argv = [TRAINER, "lab", "watch", "fake_add", "--file", str(target), "--timeout", "3"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    out = ""

    def next_check() -> str:
        """The output of the next check, up to the line after its verdict."""
        nonlocal out
        start, deadline = len(out), time.monotonic() + 120
        while not (VERDICT.search(out, start) and out.endswith("Ctrl+C stops.\n")):
            out += lines.get(timeout=max(0.1, deadline - time.monotonic()))
        return out[start:]

    servers: set[int] = set()
    try:
        for index, (source, pattern) in enumerate([*sources, (SOLUTION, r"PASSED all 5 tests")]):
            if index:
                shutil.copy(source, target)
            check = next_check()
            assert re.search(pattern, check), f"{source.name}:\n{check}"
            assert "without the warm grader" not in check, check
            servers |= _warm_servers(proc.pid)
        assert len(servers) == 1, servers  # every check forked from the same warm process
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert _gone_within(servers.pop(), 10)


def test_watch_reports_each_hostile_file_then_passes_in_the_same_warm_process(tmp_path: Path) -> None:
    _watch_in_turn(tmp_path, QUICK)


@pytest.mark.slow
def test_watch_reports_the_slow_and_the_sandboxed_hostile_files_too(tmp_path: Path) -> None:
    """Every attack only aims at the test's own folder (tests/test_hostile_checks.py proves the sandbox stops it)."""
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.md").write_text("for deletes_home.py to find")
    _watch_in_turn(tmp_path, SLOW)
