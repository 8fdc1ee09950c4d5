"""The sandbox a check runs in: what a learner's code can reach, set up by the grading process on itself.

The grader (parent side) builds a scrubbed environment (`environment`) and a `Spec`: the folders to hide (the
trainer's data), the learner's file (it stays readable), the check's own folder (the only writable place: the fresh
HOME, TMPDIR, working folder and the report file) and the paths that must end up read-only (the project, the lab).

The child applies it to itself with `enter(spec)`, before any learner code is loaded, with what Linux allows
without privileges: a user namespace, then a mount namespace (the data folders covered by empty read-only
mounts, every other mount but /dev's remounted read-only, the check's folder bound writable again, a fresh /proc), a
network namespace (no interface but a loopback that is down) and a PID namespace (no other process in sight, so
no /proc/<pid>/root, /fd or /environ leads out). A second user and mount namespace then locks those mounts:
the learner's code cannot unmount or remount them even as root in its namespace. What the OS refuses is left out
and reported, never fatal: on macOS, or where user namespaces are off, the check runs with the scrubbed
environment and the fresh folders alone.

`enter` needs a single-threaded process. The cold grader runs this file by path (`python -P sandbox.py SPEC -- -m
pytest ARGS...`: it needs only the standard library and is no package's module, so nothing else is imported
first); once inside, it runs pytest in the same interpreter, as `python -m pytest ARGS...` would. A warm grader
that forks one child per check would call `enter(spec)` in that child, then `write_report`, then run pytest there:
with a PID namespace, `enter` forks once more and returns only in the process that is to run the check, while
the caller waits outside and exits as it does.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import runpy
import signal
import sys
from collections.abc import Callable, Mapping, Sequence

CLEAN_ENV = "clean_env"
FRESH_HOME = "fresh_home"
DATA_HIDDEN = "data_hidden"
READ_ONLY = "read_only"
NO_NETWORK = "no_network"
OWN_PROCESSES = "own_processes"
PROTECTIONS = (CLEAN_ENV, FRESH_HOME, DATA_HIDDEN, READ_ONLY, NO_NETWORK, OWN_PROCESSES)
"""Every protection a check can get, by the names `lab check --json` reports (the README says what each means)."""
NAMESPACE_PROTECTIONS = (DATA_HIDDEN, READ_ONLY, NO_NETWORK, OWN_PROCESSES)
REPORT_EVENT = "sandbox"

_KEEP_ENV = {"PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME", "SYSTEMROOT"}
_KEEP_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "CUBLAS_", "CUDNN_", "PYTORCH_", "TORCH_", "OMP_", "MKL_", "KMP_",
                  "OPENBLAS_", "HIP_", "ROCR_", "HSA_")  # fmt: skip

# Linux constants (sched.h, mount.h, prctl.h)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
PR_SET_PDEATHSIG = 1


# --------------------------------------------------------------------------- the parent's side


class Spec:
    """What one check's sandbox hides, keeps readable, leaves writable and must make read-only (a plain class:
    the child starts faster without dataclasses)."""

    __slots__ = ("hide", "keep", "writable", "report", "read_only")

    def __init__(self, hide: Sequence[str], keep: str, writable: str, report: str, read_only: Sequence[str]) -> None:
        self.hide = tuple(hide)
        self.keep = keep
        self.writable = writable
        self.report = report
        self.read_only = tuple(read_only)

    def to_json(self) -> str:
        """The spec as one JSON argument."""
        return json.dumps({name: getattr(self, name) for name in self.__slots__})

    @classmethod
    def from_json(cls, text: str) -> Spec:
        """The spec back from `to_json`."""
        return cls(**json.loads(text))


def command(spec: Spec, python_args: Sequence[str]) -> list[str]:
    """The child's command line: this file, run by path, enters the sandbox, then does in the same interpreter what
    `python PYTHON_ARGS` would: `-m MODULE ARGS...` or `-c CODE ARGS...`."""
    return [sys.executable, "-P", os.path.realpath(__file__), spec.to_json(), "--", *python_args]


def environment(parent: Mapping[str, str], home: str, tmp: str, extra: Mapping[str, str]) -> dict[str, str]:
    """The check's environment: from `parent` only what Python, the locale and CUDA need, a fresh HOME and TMPDIR,
    and `extra` on top."""
    env = {k: v for k, v in parent.items() if k in _KEEP_ENV or k.startswith(_KEEP_PREFIXES)}
    env.update(HOME=home, TMPDIR=tmp)
    env.update(extra)
    return env


def removed_names(parent: Mapping[str, str], env: Mapping[str, str]) -> set[str]:
    """The variables of `parent` that the check does not see."""
    return set(parent) - set(env)


def _inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies under it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


_PATH_ERROR = re.compile(r"(Read-only file system|No such file or directory): '([^']*)'")
_NETWORK_ERROR = re.compile(r"Network is unreachable|Temporary failure in name resolution|Name or service not known")
_MISSING_VARIABLE = re.compile(r"KeyError: '(\w+)'")


def _notes(message: str, applied: Sequence[str], hidden: Sequence[str], removed: set[str]) -> list[str]:
    """Why `message` is the sandbox's doing, one note per protection that shows in it."""
    notes = []
    for path in _PATH_ERROR.finditer(message):
        if DATA_HIDDEN in applied and any(_inside(path.group(2), folder) for folder in hidden):
            notes.append("checks cannot see or change the trainer's data folder")
        elif path.group(1) == "Read-only file system" and READ_ONLY in applied:
            notes.append("a check may write only to its own temporary folder (its HOME, TMPDIR and working "
                         "folder): the project, the lab's tests and your files are read-only")  # fmt: skip
    if NO_NETWORK in applied and _NETWORK_ERROR.search(message):
        notes.append("checks run without network")
    for variable in _MISSING_VARIABLE.finditer(message):
        if CLEAN_ENV in applied and variable.group(1) in removed:
            notes.append(f"checks run with a scrubbed environment: {variable.group(1)} is not set")
    return list(dict.fromkeys(notes))


def explain(message: str, applied: Sequence[str], hidden: Sequence[str], removed: set[str]) -> str:
    """`message`, with a note when it failed because of the sandbox (a hidden or read-only path, no network, a
    removed variable)."""
    notes = _notes(message, applied, hidden, removed)
    return f"{message} (sandbox: {'; '.join(notes)})" if notes else message


# --------------------------------------------------------------------------- the child's side


class _Libc:
    """The few libc calls the sandbox needs, raising OSError like the os module does."""

    def __init__(self) -> None:
        self._lib = ctypes.CDLL(None, use_errno=True)
        self._lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        self._lib.unshare.argtypes = [ctypes.c_int]
        self._lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

    @staticmethod
    def _check(result: int) -> None:
        if result != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))

    def unshare(self, flags: int) -> None:
        """unshare(2)."""
        self._check(self._lib.unshare(flags))

    def mount(self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
        """mount(2)."""
        encode = (lambda s: None if s is None else os.fsencode(s))  # noqa: E731
        self._check(self._lib.mount(encode(source), encode(target), encode(fstype), flags, encode(data)))

    def die_with_parent(self) -> None:
        """SIGKILL this process when its parent dies."""
        self._check(self._lib.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _own_user_namespace(libc: _Libc, flags: int, uid: int, gid: int) -> None:
    """A new user namespace (with `flags`' other namespaces) in which this process keeps its own uid and gid."""
    libc.unshare(CLONE_NEWUSER | flags)
    _write("/proc/self/uid_map", f"{uid} {uid} 1\n")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/gid_map", f"{gid} {gid} 1\n")


def _wait_and_follow(pid: int) -> None:
    """Wait for `pid` and end this process the same way: the same exit code, or killed by the same signal."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _mount_points() -> list[str]:
    """Every mount point of this mount namespace, from /proc/self/mountinfo (octal escapes decoded)."""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
        fields = [line.split(" ")[4] for line in fh if line.strip()]
    return [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), point) for point in fields]


def _kept_flags(path: str) -> int:
    """The per-mount flags of `path`'s mount that a remount must repeat (they may be locked)."""
    flags = os.statvfs(path).f_flag
    kept = 0
    for st, ms in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                   (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if flags & st:
            kept |= ms
    if not flags & (os.ST_NOATIME | os.ST_RELATIME):
        kept |= MS_STRICTATIME
    return kept  # fmt: skip


def _remount(libc: _Libc, path: str, read_only: bool) -> None:
    """Make the mount at `path` read-only or writable, keeping its other flags."""
    libc.mount(None, path, None, MS_REMOUNT | MS_BIND | _kept_flags(path) | (MS_RDONLY if read_only else 0))


def _is_read_only(path: str) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _hide(libc: _Libc, spec: Spec) -> str:
    """Cover each data folder with an empty tmpfs (the learner's file copied in if it lives there); why not, or ''.

    Every mount is made private first, so that nothing done here propagates out of the namespace.
    """
    libc.mount(None, "/", None, MS_REC | MS_PRIVATE)
    try:
        with open(spec.keep, "rb") as fh:
            content, mode = fh.read(), os.fstat(fh.fileno()).st_mode & 0o777
    except OSError:
        content, mode = b"", 0o644
    for folder in spec.hide:
        if not os.path.isdir(folder):
            continue
        try:
            libc.mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        except OSError as exc:
            return f"cannot mount over {folder}: {exc.strerror}"
        if _inside(spec.keep, folder):
            os.makedirs(os.path.dirname(spec.keep), exist_ok=True)
            with open(spec.keep, "wb") as fh:
                fh.write(content)
            os.chmod(spec.keep, mode)
    return ""


def _make_read_only(libc: _Libc, spec: Spec) -> str:
    """Remount every mount read-only but /dev's (GPUs, /dev/shm), then bind the check's folder writable; why not,
    or ''."""
    for point in _mount_points():
        if _inside(point, "/dev"):
            continue
        try:
            _remount(libc, point, read_only=True)
        except OSError:
            pass  # a mount hidden under another one, or out of reach: what matters is checked below
    for path in spec.read_only:
        if os.path.exists(path) and not _is_read_only(path):
            libc.mount(path, path, None, MS_BIND | MS_REC)
            _remount(libc, path, read_only=True)
    libc.mount(spec.writable, spec.writable, None, MS_BIND | MS_REC)
    _remount(libc, spec.writable, read_only=False)
    left = [p for p in ("/", *spec.read_only) if os.path.exists(p) and not _is_read_only(p)]
    return f"still writable: {', '.join(left)}" if left else ""


def _namespaces(libc: _Libc) -> tuple[dict[str, str], str]:
    """Unshare what the OS allows: ({protection: why not}, why no user namespace was made or ''). A PID namespace
    is only asked for with a mount namespace, which its fresh /proc needs."""
    missing: dict[str, str] = {}
    try:
        _own_user_namespace(libc, 0, os.getuid(), os.getgid())
        no_user_ns = ""
    except OSError as exc:
        no_user_ns = f"no user namespace ({exc.strerror})"
    for flag, protection in ((CLONE_NEWNET, NO_NETWORK), (CLONE_NEWNS, DATA_HIDDEN), (CLONE_NEWPID, OWN_PROCESSES)):
        if flag == CLONE_NEWPID and DATA_HIDDEN in missing:
            missing[OWN_PROCESSES] = missing[READ_ONLY] = missing[DATA_HIDDEN]
            break
        try:
            libc.unshare(flag)
        except OSError as exc:
            missing[protection] = no_user_ns or str(exc)
    return missing, no_user_ns


def _step(missing: dict[str, str], protection: str, action: Callable[[], str]) -> None:
    """Run one set-up step; note why it did not apply, if it did not."""
    try:
        why = action()
    except OSError as exc:
        why = str(exc)
    if why:
        missing[protection] = why


def _fresh_proc(libc: _Libc) -> str:
    """Mount a /proc of this PID namespace over the old one."""
    libc.mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return ""


def _lock_mounts(libc: _Libc, missing: dict[str, str], no_user_ns: str) -> None:
    """Enter a nested user and mount namespace: every mount above is then locked (no unmount, no remount
    read-write, even for root in it). Without user namespaces (a privileged process) they stay undoable: said so."""
    why = no_user_ns
    if not why:
        try:
            _own_user_namespace(libc, CLONE_NEWNS, os.getuid(), os.getgid())
            return
        except OSError as exc:
            why = exc.strerror
    for protection in (DATA_HIDDEN, READ_ONLY):
        missing.setdefault(protection, f"set up but not locked, so the check's code could undo it ({why})")


def enter(spec: Spec) -> dict[str, str]:
    """Apply every protection of NAMESPACE_PROTECTIONS the OS allows to this single-threaded process.

    Returns {protection: ''} for each one applied, or the reason it is not. With a PID namespace the caller forks:
    the parent waits outside and exits like the child; `enter` returns in the child, which runs the check.
    """
    if sys.platform != "linux":
        return {p: "needs Linux namespaces" for p in NAMESPACE_PROTECTIONS}
    libc = _Libc()
    missing, no_user_ns = _namespaces(libc)
    if OWN_PROCESSES not in missing:
        pid = os.fork()
        if pid:
            _wait_and_follow(pid)
        libc.die_with_parent()
    if DATA_HIDDEN not in missing:
        _step(missing, DATA_HIDDEN, lambda: _hide(libc, spec))
        _step(missing, READ_ONLY, lambda: _make_read_only(libc, spec))
        if OWN_PROCESSES not in missing:
            _step(missing, OWN_PROCESSES, lambda: _fresh_proc(libc))
        _lock_mounts(libc, missing, no_user_ns)
        os.chdir(os.getcwd())  # the working folder again, through its writable mount
    return {p: missing.get(p, "") for p in NAMESPACE_PROTECTIONS}


def write_report(path: str, status: Mapping[str, str]) -> None:
    """Append the `sandbox` event (each protection: '' applied, else why not) to the check's report file."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"event": REPORT_EVENT, "protections": dict(status)}) + "\n")


def _run_as_python(option: str, target: str, args: Sequence[str]) -> None:
    """Run `python -m MODULE ARGS` or `python -c CODE ARGS` in this interpreter (no second start-up to pay)."""
    if option == "-m":
        sys.path.insert(0, os.getcwd())
        sys.argv = [target, *args]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, "")
        sys.argv = ["-c", *args]
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})


def main(argv: Sequence[str]) -> None:
    """`sandbox.py SPEC -- (-m MODULE | -c CODE) ARGS...`: enter the sandbox, report what applied, run the rest."""
    if len(argv) < 4 or argv[1] != "--" or argv[2] not in ("-m", "-c"):
        raise SystemExit("usage: sandbox.py SPEC -- (-m MODULE | -c CODE) ARGS...")
    spec = Spec.from_json(argv[0])
    write_report(spec.report, enter(spec))
    _run_as_python(argv[2], argv[3], argv[4:])


if __name__ == "__main__":
    main(sys.argv[1:])
