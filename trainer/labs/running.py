"""A check's process while it runs, cold (a subprocess) or warm (a child of the warm grader), as the drivers see it."""

from __future__ import annotations

import os
import signal
import subprocess
from typing import Protocol

from trainer.labs.launch import Launch


class Running(Protocol):
    """What a driver needs of a running check: its output, its end, and a way to stop it."""

    output: int
    """The read end of its merged stdout and stderr (non-blocking)."""

    def wakeups(self) -> list[int]:
        """Descriptors that turn readable when the check may have ended (to wait on with its output)."""
        ...

    def poll(self) -> bool:
        """Whether the check's process has ended (without waiting)."""
        ...

    def kill(self) -> None:
        """SIGKILL the check's whole process group (strays included)."""
        ...

    def close(self) -> int | None:
        """After `kill`: reap the process, close the output; its exit status (-N: killed by signal N), if known."""
        ...


def kill_group(pid: int) -> None:
    """SIGKILL a check's whole process group (it has its own session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_chunk(fd: int) -> bytes | None:
    """What the output holds now (b"" at its end), or None when nothing is there yet."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


class ColdRun:
    """A cold check: `python -P sandbox.py SPEC -- -m pytest ...` in a subprocess of its own session."""

    def __init__(self, launch: Launch) -> None:
        self.proc = subprocess.Popen(
            launch.command, cwd=launch.cwd, env=launch.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.output = self.proc.stdout.fileno()
        os.set_blocking(self.output, False)

    def wakeups(self) -> list[int]:
        """None: the end of a subprocess is found by polling."""
        return []

    def poll(self) -> bool:
        """Whether the subprocess has exited."""
        return self.proc.poll() is not None

    def kill(self) -> None:
        """SIGKILL its group."""
        kill_group(self.proc.pid)

    def close(self) -> int | None:
        """Reap it and close its output."""
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.proc.returncode
