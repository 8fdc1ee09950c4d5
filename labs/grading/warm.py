"""The warm grader's process: imports torch, pytest and one lab's tests once, then forks one child per check.

Why a fork server. A cold check spends almost all its time importing torch and pytest and collecting the lab's
tests (2-4 s on a small machine); the tests of a lab take tens of milliseconds. A process that has done that work
once and forks a copy of itself for each check pays only for the fork (a few milliseconds: the pages are shared
copy-on-write) and for the tests. The alternatives were worse: running every check in one long-lived pytest
process would share state between checks (the learner's module, monkeypatched torch functions, leaked threads, a
memory limit that cannot be lowered and raised again), and `multiprocessing`'s forkserver re-imports the modules
in each child, which is the cost we want to avoid.

What the parent holds and what it must never do. It has imported torch, pytest, the grading kit, this plugin and
the lab's conftest and test module, by running pytest's own collection on the lab's test file (`--collect-only`),
so that the test module and conftest are the assertion-rewritten modules a cold run would import. It has run no
torch operation: OpenMP's and CUDA's threads and contexts do not survive a fork, so a parent that had computed
anything could hand its children a thread pool that deadlocks or a CUDA context that fails. Collection runs no
test and no fixture; the trainer starts this process with one thread per library (OMP_NUM_THREADS=1, ...), and the
parent refuses to serve (the trainer then checks the cold way) if CUDA was initialised during the collection. CUDA
itself is only ever touched in a child: `--device auto` and `--device cuda` are resolved there, by the report
plugin and the `device` fixture, as in a cold run, so each check on a GPU creates its own CUDA context.

How a check runs. The trainer sends one request on the control socket (this process's stdin, a Unix SOCK_SEQPACKET
socket), with the write end of a fresh pipe attached: the check's sandbox spec, environment, working folder and
pytest arguments, the same ones a cold check passes on its command line. The parent forks; the child

1. starts its own session (the trainer kills the check's whole process group, as it does a cold check's);
2. closes the control socket (the learner's code can neither read nor forge the parent's messages), takes the
   pipe as its stdout and stderr and /dev/null as its stdin;
3. replaces its environment with the check's scrubbed one (a fresh HOME and TMPDIR) and moves to the check's
   working folder;
4. enters the sandbox with `trainer/labs/sandbox.py`'s `enter` (loaded by path: it needs only the standard
   library), in this freshly forked, single-threaded process, as a cold check does right after it starts; what
   applied is written to the report file the same way, so `--json` reports the same protections;
5. runs `pytest.main` with the cold check's arguments: the same plugin, report file, per-test time limit and
   memory limit (RLIMIT_AS is set by the plugin, in the child only). The learner's module is imported fresh by the
   `lab` fixture: the parent never imported it;
6. exits with pytest's exit status, after waiting for the threads the learner left running, as an interpreter
   would at its end.

The parent reports the child's pid, then its exit status (as `subprocess` words it: -N for a signal), and kills
whatever the child left in its process group. A crash, `os._exit`, an endless loop or a memory bomb therefore ends
only that child; the parent serves the next request. It exits when the trainer closes the socket (the trainer
ended, or died: the kernel closes it), killing a check still running.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

MESSAGE_LIMIT = 1 << 20
POLL_SECONDS = 0.01
"""How often a running child is looked at where pidfd_open is not available."""
CHILD_FAILED = 70
"""The exit status of a child that could not start pytest (the reason is on its stderr, the check's output)."""


def _load_sandbox(path: str) -> ModuleType:
    """trainer/labs/sandbox.py, loaded by path (it needs only the standard library; trainer is not imported)."""
    spec = importlib.util.spec_from_file_location("_trainer_check_sandbox", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the sandbox from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _warm_up(pytest_args: list[str]) -> None:
    """Import what a check needs by collecting the lab's tests once, as a check would (assertion rewriting
    included), with no test run; sys.path is put back as it was, so each check starts from the same one."""
    import pytest
    import torch  # noqa: F401 - imported here, before the fork, once

    saved = list(sys.path)
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        pytest.main([*pytest_args, "--collect-only"])
    sys.path[:] = saved


def _cuda_initialised() -> bool:
    """Whether torch has set up CUDA in this process (a fork could not use it then)."""
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_initialized())


def _send(control: socket.socket, **message: Any) -> None:
    control.send(json.dumps(message).encode())


class Server:
    """The parent: waits for requests, forks a child for each, reports its pid and exit status."""

    def __init__(self, control: socket.socket, sandbox: ModuleType, base_path: list[str]) -> None:
        self.control = control
        self.sandbox = sandbox
        self.base_path = base_path
        self.queue: deque[tuple[dict[str, Any], int]] = deque()

    def serve(self) -> None:
        """Run checks until the trainer closes the socket."""
        while True:
            if not self.queue and not self._receive(block=True):
                return
            request, output = self.queue.popleft()
            if not self._run(request, output):
                return

    def _receive(self, block: bool) -> bool:
        """Queue the next request (waiting for one when `block`); False once the trainer has closed the socket."""
        if not block and not select.select([self.control], [], [], 0)[0]:
            return True
        data, fds, _, _ = socket.recv_fds(self.control, MESSAGE_LIMIT, 1)
        if not data:
            for fd in fds:
                os.close(fd)
            return False
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return True  # a request always carries its output pipe: this one is ignored
        self.queue.append((json.loads(data), fds[0]))
        return True

    def _run(self, request: dict[str, Any], output: int) -> bool:
        """Fork the check, report it, wait for it; False when the trainer went away meanwhile."""
        pid = os.fork()
        if pid == 0:
            _child(request, output, self.control, self.sandbox, self.base_path)
        os.close(output)
        _send(self.control, id=request["id"], started=pid)
        code, trainer_left = self._wait(pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # whatever the check left behind in its group
        if trainer_left:
            return False
        _send(self.control, id=request["id"], exit=code)
        return True

    def _wait(self, pid: int) -> tuple[int, bool]:
        """The child's exit status; (-9, True) after killing it when the trainer closed the socket first."""
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = -1
        try:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status), False
                watched = [self.control] + ([pidfd] if pidfd >= 0 else [])
                ready, _, _ = select.select(watched, [], [], None if pidfd >= 0 else POLL_SECONDS)
                if self.control in ready and not self._receive(block=False):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return -signal.SIGKILL, True
        finally:
            if pidfd >= 0:
                os.close(pidfd)


def _join_threads() -> None:
    """Wait for the non-daemon threads the check left running, as an interpreter does before it exits."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def _child(request: dict[str, Any], output: int, control: socket.socket, sandbox: ModuleType,
           base_path: list[str]) -> NoReturn:  # fmt: skip
    """One check, in the forked child: sandbox, then pytest; never returns."""
    code = CHILD_FAILED
    try:
        os.setsid()
        control.close()
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # found again from the check's TMPDIR
        os.chdir(request["cwd"])
        spec = sandbox.Spec.from_json(request["spec"])
        sandbox.write_report(spec.report, sandbox.enter(spec))
        import pytest

        sys.path[:] = [os.getcwd(), *base_path]  # what `python -m pytest` starts with in the check's folder
        sys.argv = [str(Path(pytest.__file__).with_name("__main__.py")), *request["args"]]
        code = int(pytest.main(request["args"]))
        _join_threads()
    except BaseException:  # noqa: BLE001 - whatever it is, the check's output shows it and only this child ends
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def main(argv: list[str]) -> None:
    """`python -P -m labs.grading.warm SANDBOX_PY PYTEST_ARGS_JSON FOLDER`, stdin a SOCK_SEQPACKET socket to the
    trainer; FOLDER (its HOME, TMPDIR and working folder) is removed when it ends, even if the trainer died."""
    try:
        _serve(argv)
    finally:
        shutil.rmtree(argv[2], ignore_errors=True)


def _serve(argv: list[str]) -> None:
    """Warm up, say so, and serve until the trainer closes the socket."""
    control = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        sandbox = _load_sandbox(argv[0])
        base_path = list(sys.path)
        _warm_up(json.loads(argv[1]))
        if _cuda_initialised():
            raise RuntimeError("CUDA was initialised while the lab's tests were collected: a fork could not use it")
    except Exception as exc:  # noqa: BLE001 - the trainer checks the cold way and says why
        _send(control, error=f"{type(exc).__name__}: {exc}")
        return
    _send(control, ready=True, pid=os.getpid(), threads=threading.active_count(),
          os_threads=len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 0)  # fmt: skip
    Server(control, sandbox, base_path).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
