"""The warm grader, trainer side: a process per lab that has imported torch, pytest and the lab's tests, from which
each check is forked (labs/grading/warm.py says why a fork server, and how a child is isolated).

`WarmGrader` holds at most one such process, for the lab checked last (each holds torch: a few hundred MiB). The
first check of a lab starts it, waits for it and then runs in it, so the first check costs what a cold one does
(the same imports and collection, done once); every later check of that lab is forked from it. When the lab's files
change on disk, the next check starts a new one. When it stopped, or cannot start, the check runs cold and its
result says why (`warm: false`, `warm_note`); the next check starts a new one (after two that stopped before they
were ready, no more are tried). It goes away with `close()` (the end of `lab watch`, of the TUI), and by itself when
the trainer ends in any way: its stdin is the trainer's end of a socket, which the kernel closes with the trainer.
Linux only: elsewhere every check runs cold.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainer.labs import sandbox
from trainer.labs.launch import Launch, grader_environment
from trainer.labs.registry import Lab
from trainer.labs.running import kill_group
from trainer.paths import PROJECT_ROOT

SERVER_MODULE = "labs.grading.warm"
START_LIMIT = 120.0
"""Seconds the warm process may take to import and collect before the check waiting for it runs cold."""
REPLY_LIMIT = 5.0
"""Seconds to wait for the warm process to say it has forked a check."""
MAX_FAILED_STARTS = 2
EXIT_WAIT = 1.0
"""Seconds to wait, after killing a warm check, for the warm process to report its end."""
MESSAGE_LIMIT = 1 << 16
_WATCHED = ("grading", "reference", "conftest.py")
"""What the warm process imports from the project's labs/ besides the lab itself."""


class WarmUnavailable(Exception):
    """The warm process cannot run this check (it stopped, or did not answer); the check runs cold."""


def unsupported() -> str:
    """Why this machine cannot have a warm grader, or ''."""
    if sys.platform != "linux" or not hasattr(socket, "send_fds"):
        return "the warm grader needs Linux"
    return ""


def fingerprint(lab: Lab) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every file the warm process may have loaded for `lab`: a change means a new one."""
    labs = PROJECT_ROOT / "labs"
    roots = [lab.folder, lab.root / "conftest.py", *(labs / name for name in _WATCHED)]
    files = sorted({f for root in roots for f in ([root] if root.is_file() else root.rglob("*.py"))})
    stamps = []
    for file in files:
        try:
            info = file.stat()
        except OSError:
            continue
        stamps.append((str(file), info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def _warm_up_args(lab: Lab) -> list[str]:
    from trainer.labs.grader import pytest_args  # the same arguments as every check (the grader imports this module)

    return pytest_args(lab, lab.solution, "cpu")


class Server:
    """One warm process for one lab, and the messages it has sent."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.fingerprint = fingerprint(lab)
        self.state = "starting"
        """starting, ready or stopped."""
        self.reason = ""
        """Why it stopped or could not start."""
        self.pid = 0
        self.info: dict[str, Any] = {}
        """Its `ready` message: pid, threads (Python's) and os_threads (the process's) when it began serving."""
        self.started: dict[int, int] = {}
        self.exits: dict[int, int] = {}
        self._next = 0
        self._folder = tempfile.TemporaryDirectory(prefix="trainer-warm-", ignore_cleanup_errors=True)
        """Its HOME, TMPDIR, working folder and stderr: removed by whichever of the two ends last."""
        folder = Path(self._folder.name)
        for name in ("home", "tmp", "work"):
            (folder / name).mkdir()
        log = folder / "stderr.txt"
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-P", "-m", SERVER_MODULE, os.path.realpath(sandbox.__file__),
                   json.dumps(_warm_up_args(lab)), str(folder)]  # fmt: skip
        env = grader_environment(str(folder / "home"), str(folder / "tmp"))
        env["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # a lab that asks whether CUDA exists at import leaves no context
        try:
            with log.open("wb") as writer:
                self.proc = subprocess.Popen(command, stdin=theirs, stdout=writer, stderr=writer, cwd=folder / "work",
                                             env=env, start_new_session=True)  # fmt: skip
        except OSError:
            ours.close()
            self._folder.cleanup()
            raise
        finally:
            theirs.close()
        self._log = log.open("rb")
        """Its stderr, readable after it has removed its folder."""
        self.sock = ours
        self.sock.setblocking(False)

    # -- messages

    def read(self) -> None:
        """Take every message the warm process has sent (without waiting)."""
        while self.state != "stopped":
            try:
                data = self.sock.recv(MESSAGE_LIMIT)
            except BlockingIOError:
                return
            except OSError as exc:
                self._stopped(f"its socket failed ({exc.strerror})")
                return
            if not data:
                self._stopped("it stopped")
                return
            self._take(json.loads(data))

    def _take(self, message: dict[str, Any]) -> None:
        if "error" in message:
            self._stopped(f"it could not start: {message['error']}")
        elif message.get("ready"):
            self.state, self.pid, self.info = "ready", int(message["pid"]), message
        elif "started" in message:
            self.started[int(message["id"])] = int(message["started"])
        elif "exit" in message:
            self.exits[int(message["id"])] = int(message["exit"])

    def _stopped(self, reason: str) -> None:
        """Close the socket (the warm process then kills a check it runs, and exits), and make sure it has ended."""
        if self.state == "stopped":
            return
        self.state = "stopped"
        self.sock.close()
        try:
            self.proc.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            self.proc.wait()
        self.reason = self.reason or f"{reason}{self._last_words()}"
        self._log.close()

    def _last_words(self) -> str:
        """The last line the warm process wrote on stderr, if any."""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if line.strip()]
        return f": {lines[-1].strip()[:300]}" if lines else ""

    def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        """Read messages until `done()` or the process stops, for at most `timeout` seconds; whether done."""
        deadline = time.monotonic() + timeout
        while True:
            self.read()
            if done() or self.state == "stopped":
                return bool(done())
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([self.sock], [], [], left)

    def wait_ready(self, timeout: float) -> bool:
        """Whether it is ready to serve, waiting at most `timeout` seconds (0: just look)."""
        return self.wait_for(lambda: self.state == "ready", timeout)

    # -- checks

    def start(self, launch: Launch) -> WarmRun:
        """Fork the check that `launch` describes; WarmUnavailable when the warm process cannot."""
        if not self.wait_ready(0):
            raise WarmUnavailable(self.reason or "it is still starting")
        self._next += 1
        check = self._next
        self.started.clear()
        self.exits.clear()
        request = {"id": check, "spec": launch.spec.to_json(), "env": launch.env, "cwd": str(launch.cwd),
                   "args": launch.pytest_argv}  # fmt: skip
        read_end, write_end = os.pipe()
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], [write_end])
        except OSError as exc:
            os.close(read_end)
            self._stopped(f"it could not be reached ({exc.strerror})")
            raise WarmUnavailable(self.reason) from None
        finally:
            os.close(write_end)
        if not self.wait_for(lambda: check in self.started, REPLY_LIMIT):
            os.close(read_end)
            self.close(self.reason or f"it did not start the check within {REPLY_LIMIT:g} s")
            raise WarmUnavailable(self.reason)
        os.set_blocking(read_end, False)
        return WarmRun(self, check, self.started[check], read_end)

    def close(self, reason: str = "closed") -> None:
        """Stop the warm process (and a check it is running) and remove its folder."""
        self._stopped(reason)
        self._folder.cleanup()


class WarmRun:
    """A check forked by the warm process (the `Running` of trainer.labs.running)."""

    def __init__(self, server: Server, check: int, pid: int, output: int) -> None:
        self.server = server
        self.check = check
        self.pid = pid
        self.output = output
        self.returncode: int | None = None

    def wakeups(self) -> list[int]:
        """The socket on which the warm process reports the check's end."""
        return [self.server.sock.fileno()] if self.server.state != "stopped" else []

    def poll(self) -> bool:
        """Whether the check has ended (or the warm process is gone, and with it the way to know)."""
        self.server.read()
        if self.check in self.server.exits:
            self.returncode = self.server.exits[self.check]
        return self.returncode is not None or self.server.state == "stopped"

    def kill(self) -> None:
        """SIGKILL the check's group, unless the warm process has reaped it (and killed its strays) already."""
        self.poll()
        if self.returncode is None:
            kill_group(self.pid)

    def close(self) -> int | None:
        """Close the output; the exit status, once the warm process has reported it (it reaps a killed check at
        once)."""
        os.close(self.output)
        self.server.wait_for(self.poll, EXIT_WAIT)
        return self.returncode


class WarmGrader:
    """At most one warm process, for the lab checked last; `close()` (or the `with` block's end) stops it."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.failed_starts = 0
        """Warm processes in a row that stopped before they were ready: after MAX_FAILED_STARTS, no more are tried."""

    def server_for(self, lab: Lab) -> Server | str:
        """The warm process for `lab` (started now when there is none, or the lab's files changed), or why the
        check must run cold: no Linux, it stopped (the next check starts a new one), it could not start."""
        why = unsupported()
        if why:
            return why
        server = self.server
        if server is not None:
            server.read()
            if server.state == "stopped":
                self.server = None
                server.close()
                if server.pid:
                    return f"the warm process had stopped ({server.reason}); the next check starts a new one"
                self.failed_starts += 1
            elif server.lab != lab or server.fingerprint != fingerprint(lab):
                self.server = None
                server.close()
            else:
                return server
        if self.failed_starts >= MAX_FAILED_STARTS:
            return f"the warm process failed to start {self.failed_starts} times"
        try:
            self.server = Server(lab)
        except OSError as exc:
            return f"the warm process could not be started: {exc.strerror or exc}"
        return self.server

    def close(self) -> None:
        """Stop the warm process, if any."""
        if self.server is not None:
            self.server.close()
            self.server = None

    def __enter__(self) -> WarmGrader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
