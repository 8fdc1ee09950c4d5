"""The check's sandbox on its own: the scrubbed environment, the notes on failures it caused, the child's set-up
(without torch: the sandbox file runs a small Python command), and what happens where the OS offers less."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.sandbox_support import ALWAYS, namespaces_allowed
from trainer.labs import TestEvent, TestResult, sandbox
from trainer.labs.grader import plan_check
from trainer.labs.launch import prepare

ROOT = Path(__file__).resolve().parent.parent
FAKE_LABS = ROOT / "tests" / "fixtures" / "labs"
SOLUTION = FAKE_LABS / "fake_add" / "solution.py"
TRAINER = str(Path(sys.executable).with_name("trainer"))


def test_the_environment_keeps_what_python_locale_and_cuda_need_and_nothing_else() -> None:
    parent = {
        "PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
        "CUDA_VISIBLE_DEVICES": "0", "NVIDIA_VISIBLE_DEVICES": "all", "OMP_NUM_THREADS": "2",
        "TRAINER_HOME": "/home/a/.trainer", "TRAINER_LABS": "/home/a/labs", "HOME": "/home/a", "TMPDIR": "/tmp",
        "XDG_DATA_HOME": "/home/a/.data", "SSH_AUTH_SOCK": "/run/ssh", "AWS_SECRET_ACCESS_KEY": "s3cret",
        "EDITOR": "vi",
    }  # fmt: skip
    env = sandbox.environment(parent, "/check/home", "/check/tmp", {"PYTHONUNBUFFERED": "1"})
    assert env == {
        "PATH": "/usr/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LD_LIBRARY_PATH": "/usr/local/cuda/lib64",
        "CUDA_VISIBLE_DEVICES": "0", "NVIDIA_VISIBLE_DEVICES": "all", "OMP_NUM_THREADS": "2",
        "HOME": "/check/home", "TMPDIR": "/check/tmp", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    removed = sandbox.removed_names(parent, env)
    assert removed == {"TRAINER_HOME", "TRAINER_LABS", "XDG_DATA_HOME", "SSH_AUTH_SOCK", "AWS_SECRET_ACCESS_KEY",
                       "EDITOR"}  # fmt: skip


def test_a_spec_survives_its_json_argument() -> None:
    spec = sandbox.Spec(["/d/a", "/d/b c"], "/d/a/w/x.py", "/tmp/check", "/tmp/check/r.jsonl", ["/p", "/home/u"])
    back = sandbox.Spec.from_json(spec.to_json())
    assert [getattr(back, n) for n in sandbox.Spec.__slots__] == [getattr(spec, n) for n in sandbox.Spec.__slots__]


ALL = list(sandbox.PROTECTIONS)
HIDDEN = ["/home/a/.local/share/trainer"]


@pytest.mark.parametrize(
    ("message", "applied", "note"),
    [
        ("OSError: [Errno 30] Read-only file system: '/home/a/.local/share/trainer/progress.db'", ALL,
         "checks cannot see or change the trainer's data folder"),
        ("FileNotFoundError: [Errno 2] No such file or directory: '/home/a/.local/share/trainer/x'", ALL,
         "checks cannot see or change the trainer's data folder"),
        ("OSError: [Errno 30] Read-only file system: '/srv/project/labs/x.py'", ALL,
         "the project, the lab's tests and your files are read-only"),
        ("OSError: [Errno 101] Network is unreachable", ALL, "checks run without network"),
        ("socket.gaierror: [Errno -3] Temporary failure in name resolution", ALL, "checks run without network"),
        ("KeyError: 'TRAINER_HOME'", ALL, "checks run with a scrubbed environment: TRAINER_HOME is not set"),
        ("KeyError: 'TRAINER_HOME'", ["fresh_home"], None),
        ("OSError: [Errno 101] Network is unreachable", ["clean_env", "fresh_home"], None),
        ("KeyError: 'n_heads'", ALL, None),
        ("FileNotFoundError: [Errno 2] No such file or directory: '/srv/data.bin'", ALL, None),
        ("values differ: expected 1.0, got 2.0", ALL, None),
    ],
)  # fmt: skip
def test_a_failure_the_sandbox_caused_says_so(message: str, applied: list[str], note: str | None) -> None:
    explained = sandbox.explain(message, applied, HIDDEN, {"TRAINER_HOME"})
    if note is None:
        assert explained == message
    else:
        assert explained.startswith(message + " (sandbox: ") and explained.endswith(")") and note in explained


def test_several_causes_give_several_notes_once_each() -> None:
    message = ("KeyError: 'TRAINER_HOME' | OSError: [Errno 30] Read-only file system: '/home/a/.local/share/trainer/"
               "progress.db' | OSError: [Errno 30] Read-only file system: '/home/a/.local/share/trainer/x'")  # fmt: skip
    explained = sandbox.explain(message, ALL, HIDDEN, {"TRAINER_HOME"})
    assert explained.endswith("(sandbox: checks cannot see or change the trainer's data folder; checks run with a "
                              "scrubbed environment: TRAINER_HOME is not set)")  # fmt: skip


def test_live_failures_get_the_notes_once_the_sandbox_has_reported() -> None:
    launch = prepare(SOLUTION, FAKE_LABS, [])
    launch.tmpdir.cleanup()
    message = "OSError: [Errno 101] Network is unreachable"
    failing = TestEvent("finished", result=TestResult("x::t", "t", "failed", 0.0, message))
    assert launch.event(failing) == failing  # no claim before the child said what applied
    assert not launch.take({"event": "test", "nodeid": "x::t"})
    assert launch.take({"event": "sandbox", "protections": dict.fromkeys(sandbox.NAMESPACE_PROTECTIONS, "")})
    explained = launch.event(failing).result
    assert explained is not None and explained.message == f"{message} (sandbox: checks run without network)"


def _spec(tmp_path: Path) -> sandbox.Spec:
    return sandbox.Spec([], str(tmp_path / "x.py"), str(tmp_path), str(tmp_path / "r.jsonl"), [])


def test_without_user_namespaces_nothing_forks_and_each_protection_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: object, flags: int) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(sandbox._Libc, "unshare", refused)
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("enter forked without a PID namespace"))
    status = sandbox.enter(_spec(tmp_path))
    assert status == dict.fromkeys(sandbox.NAMESPACE_PROTECTIONS, "no user namespace (Operation not permitted)")


def test_outside_linux_the_namespaces_are_reported_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert sandbox.enter(_spec(tmp_path)) == dict.fromkeys(sandbox.NAMESPACE_PROTECTIONS, "needs Linux namespaces")


PROBE = textwrap.dedent(
    """
    import errno, json, os, socket, sys
    data, learner, project = sys.argv[1:4]

    def attempt(action):
        try:
            action()
            return "ok"
        except OSError as exc:
            return errno.errorcode[exc.errno]

    def write(path):
        with open(path, "w") as fh:
            fh.write("x")

    print(json.dumps({
        "data": sorted(os.listdir(data)),
        "learner": open(learner).read(),
        "write_data": attempt(lambda: write(os.path.join(data, "progress.db"))),
        "write_project": attempt(lambda: write(os.path.join(project, "pyproject.toml"))),
        "write_home": attempt(lambda: write(os.path.join(os.environ["HOME"], "ok.txt"))),
        "write_cwd": attempt(lambda: write("here.txt")),
        "write_dev": attempt(lambda: write("/dev/null")),
        "write_shm": attempt(lambda: (write(f"/dev/shm/probe-{os.getpid()}"), os.remove(f"/dev/shm/probe-{os.getpid()}")))
        if os.path.isdir("/dev/shm") else "ok",
        "connect": attempt(lambda: socket.create_connection(("127.0.0.1", 9), timeout=2)),
        "pid": os.getpid(),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "umount": os.system(f"umount {data} 2>/dev/null") != 0,
    }))
    sys.exit(7)
    """
)


def test_the_child_hides_the_data_keeps_the_learner_s_file_and_passes_its_exit_code_on(tmp_path: Path) -> None:
    data, check = tmp_path / "data", tmp_path / "check"
    (data / "workspace").mkdir(parents=True)
    (data / "progress.db").write_bytes(b"history")
    learner = data / "workspace" / "kv_cache.py"
    learner.write_text("ANSWER = 42\n")
    (check / "home").mkdir(parents=True)
    spec = sandbox.Spec([str(data)], str(learner), str(check), str(check / "report.jsonl"), [str(ROOT)])
    argv = ["-c", PROBE, str(data), str(learner), str(ROOT)]
    env = dict(os.environ, HOME=str(check / "home"))
    out = subprocess.run(sandbox.command(spec, argv), cwd=check, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 7, out.stderr
    seen = json.loads(out.stdout)
    (event,) = [json.loads(line) for line in (check / "report.jsonl").read_text().splitlines()]
    assert event["event"] == "sandbox" and set(event["protections"]) == set(sandbox.NAMESPACE_PROTECTIONS)
    assert seen["learner"] == "ANSWER = 42\n" and seen["write_home"] == "ok" and seen["write_cwd"] == "ok"
    assert seen["write_dev"] == "ok" and seen["write_shm"] == "ok"  # /dev is left as it is: GPUs, shared memory
    if namespaces_allowed():
        assert event["protections"] == dict.fromkeys(sandbox.NAMESPACE_PROTECTIONS, "")
        assert seen["data"] == ["workspace"]
        assert (seen["write_data"], seen["write_project"], seen["connect"]) == ("EROFS", "EROFS", "ENETUNREACH")
        assert seen["pid"] == 1 and len(seen["processes"]) <= 3 and seen["umount"]
    else:
        assert all(event["protections"].values())
    assert (data / "progress.db").read_bytes() == b"history" and learner.read_text() == "ANSWER = 42\n"
    assert (check / "home" / "ok.txt").exists() and (check / "here.txt").exists()


def test_a_privileged_child_without_user_namespaces_says_its_mounts_are_not_locked(tmp_path: Path) -> None:
    """As root in a user namespace that allows no nested one: mounts work, but the check's code could undo them."""
    spec = _spec(tmp_path)
    argv = sandbox.command(spec, ["-c", "pass"])
    if namespaces_allowed():
        argv = ["unshare", "--user", "--map-root-user", "sh", "-c",
                'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh", *argv]  # fmt: skip
    assert subprocess.run(argv, cwd=tmp_path, timeout=60).returncode == 0
    (event,) = [json.loads(line) for line in Path(spec.report).read_text().splitlines()]
    if namespaces_allowed():
        not_locked = "set up but not locked, so the check's code could undo it (no user namespace (No space left on device))"
        assert event["protections"] == {"data_hidden": not_locked, "read_only": not_locked, "no_network": "",
                                        "own_processes": ""}  # fmt: skip
    else:
        assert all(event["protections"].values())


def test_a_crash_inside_is_a_crash_outside(tmp_path: Path) -> None:
    argv = ["-c", "import ctypes; ctypes.string_at(0)"]
    out = subprocess.run(sandbox.command(_spec(tmp_path), argv), cwd=tmp_path, capture_output=True, timeout=60)
    assert out.returncode == -11


def test_a_data_folder_that_holds_the_project_is_left_visible_and_said_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_HOME", str(ROOT.parent))
    launch = plan_check("fake_add", SOLUTION, labs_root=FAKE_LABS).launch
    launch.tmpdir.cleanup()
    assert str(ROOT.parent) not in launch.hidden
    assert launch.notes == {sandbox.DATA_HIDDEN: f"{ROOT.parent} holds the project, Python or the check itself"}
    assert "TRAINER_HOME" not in launch.env and launch.env["HOME"] != os.environ.get("HOME")


def test_a_check_where_user_namespaces_are_off_still_runs_and_says_what_is_missing(tmp_path: Path) -> None:
    """Inside a user namespace whose own limit allows no more of them, as on a kernel without them."""
    check = [TRAINER, "lab", "check", "fake_add", "--file", str(SOLUTION), "--json"]
    env = dict(os.environ, TRAINER_LABS=str(FAKE_LABS))
    if namespaces_allowed():  # no more user namespaces, and no capability left to make any other namespace
        script = 'echo 0 > /proc/sys/user/max_user_namespaces && exec setpriv --bounding-set -all --inh-caps -all "$@"'
        check = ["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh", *check]
    verdict = json.loads(subprocess.run(check, env=env, capture_output=True, text=True, timeout=180).stdout)
    assert (verdict["outcome"], verdict["passed"]) == ("passed", 5)
    assert set(verdict["sandbox"]["applied"]) == ALWAYS
    assert set(verdict["sandbox"]["missing"]) == set(sandbox.NAMESPACE_PROTECTIONS)
    if namespaces_allowed():
        assert set(verdict["sandbox"]["missing"].values()) == {"no user namespace (No space left on device)"}

