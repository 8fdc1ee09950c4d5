"""Notice saves of one file at once: inotify on its folder where Linux has it (through libc, no dependency), else a
look at its modification time, size and inode every `poll` seconds."""

from __future__ import annotations

import ctypes
import os
import select
import sys
from pathlib import Path

# inotify(7): a write closed, a file moved or created in the folder (editors often save by renaming a new file over
# the old one), attributes changed (touch)
IN_ATTRIB, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x4, 0x8, 0x80, 0x100
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000

Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    """What changes when the file is saved: its modification time, size and inode (None while it is missing)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _inotify(folder: Path) -> int | None:
    """An inotify descriptor watching `folder`, or None where there is none."""
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    mask = IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
    if libc.inotify_add_watch(fd, os.fsencode(folder), mask) < 0:
        os.close(fd)
        return None
    return fd


class FileWatch:
    """`changed()` says whether the file was saved since the last look; `wait(poll)` waits for the next event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = stamp(path)
        self._fd = _inotify(path.parent)

    @property
    def uses_inotify(self) -> bool:
        """Whether saves wake `wait` at once (else it looks every `poll` seconds)."""
        return self._fd is not None

    def changed(self) -> bool:
        """Whether the file exists and differs (time, size or inode) from the last look; remembers this look."""
        now = stamp(self.path)
        if now is None or now == self.seen:
            return False
        self.seen = now
        return True

    def wait(self, poll: float) -> None:
        """Return at the next event in the file's folder, or after `poll` seconds."""
        if self._fd is None:
            select.select([], [], [], poll)
            return
        if select.select([self._fd], [], [], poll)[0]:
            try:
                while os.read(self._fd, 65536):
                    pass
            except BlockingIOError:
                pass

    def close(self) -> None:
        """Stop watching."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileWatch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
