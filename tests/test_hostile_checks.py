"""Hostile learner files through a real `trainer lab check`: the history, the project, the network and the home
stay out of their reach, and the verdict says what each file tried where the sandbox stopped it.

Each file attacks only paths inside the test's temporary folder (and the project, restored afterwards), so a
machine without the sandbox's namespaces loses nothing real. There every check must say which protections are
missing, and the day's copy made before the check still holds the history.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from tests.sandbox_support import expected_protections, hostile_file, namespaces_allowed
from trainer.labs import CheckResult, sandbox, stream_check
from trainer.store.database import Store

ROOT = Path(__file__).resolve().parent.parent
FAKE_LABS = ROOT / "tests" / "fixtures" / "labs"
TRAINER = str(Path(sys.executable).with_name("trainer"))
DATA_NOTE = "checks cannot see or change the trainer's data folder"
READ_ONLY_NOTE = "the project, the lab's tests and your files are read-only"


def _seed(db: Path) -> list[tuple]:
    """A history of three grades in `db`; its review rows."""
    store = Store(db)
    for card, quality in ((1, 5), (2, 3), (3, 1)):
        store.record_grade(card, quality, at=datetime(2026, 1, card, 9, tzinfo=timezone.utc), day=date(2026, 1, card))
    store.close()
    return _reviews(db)


def _reviews(db: Path) -> list[tuple]:
    """Every review row of `db`, in order."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT * FROM review_log ORDER BY id").fetchall()
    finally:
        con.close()


def _env(home: Path, data: Path | None, labs: Path = FAKE_LABS) -> dict[str, str]:
    """The trainer's own environment: its HOME, its TRAINER_HOME (None: the platform's default folder) and labs."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_HOME", "XDG_DATA_HOME")}
    env.update(HOME=str(home), TRAINER_LABS=str(labs), COLUMNS="200")
    if data is not None:
        env["TRAINER_HOME"] = str(data)
    return env


def _check(learner: Path, env: dict[str, str]) -> dict:
    """`trainer lab check fake_add --file LEARNER --json` in a subprocess: the verdict."""
    argv = [TRAINER, "lab", "check", "fake_add", "--file", str(learner), "--json"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
    assert out.stdout.strip(), out.stderr[-3000:]
    return json.loads(out.stdout)


def _assert_reported(verdict: dict) -> None:
    """The verdict lists what applied on this machine, and why anything else did not."""
    assert set(verdict["sandbox"]["applied"]) == expected_protections(), verdict["sandbox"]
    missing = set(sandbox.PROTECTIONS) - expected_protections()
    assert set(verdict["sandbox"]["missing"]) == missing and all(verdict["sandbox"]["missing"].values())


def _assert_history_kept(db: Path, history: list[tuple], verdict: dict) -> None:
    """The same review rows after the check; the day's copy, made before it, holds them too."""
    assert Path(verdict["sandbox"]["backup"]).parent == db.parent / "backups"
    assert _reviews(Path(verdict["sandbox"]["backup"])) == history
    if namespaces_allowed():
        assert _reviews(db) == history
        con = sqlite3.connect(db)
        assert con.execute("SELECT slug, outcome FROM lab_attempt").fetchall() == [("fake_add", "failed")]
        con.close()


@pytest.mark.parametrize("default_folder", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_a_file_that_overwrites_the_database_leaves_the_history_intact(tmp_path: Path, default_folder: bool) -> None:
    """Found through $TRAINER_HOME, /proc (environments, open files, root folders) and the data folder's path."""
    home = tmp_path / "home"
    data = home / ".local" / "share" / "trainer" if default_folder else tmp_path / "data"
    data.mkdir(parents=True)
    history = _seed(data / "progress.db")
    learner = hostile_file("overwrites_database.py", tmp_path, safe_root=tmp_path, data_folder=data)
    verdict = _check(learner, _env(home, None if default_folder else data))
    _assert_reported(verdict)
    _assert_history_kept(data / "progress.db", history, verdict)
    assert verdict["outcome"] == "failed" and verdict["passed"] == 0
    if namespaces_allowed():
        message = verdict["message"]
        assert message.startswith("your file could not be imported, so no test could run: "
                                  "importing overwrites_database.py raised RuntimeError")
        assert "Read-only file system" in message and DATA_NOTE in message
        if not default_folder:
            assert "KeyError: 'TRAINER_HOME'" in message and "TRAINER_HOME is not set" in message


def _tree(folder: Path) -> dict[str, str]:
    """{relative path: SHA-256} of every file under `folder`."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip


@pytest.fixture
def project_guard() -> Iterator[None]:
    """Puts labs/ back as it was if a check got to write there (only possible without the sandbox)."""
    model = ROOT / "labs" / "reference" / "model.py"
    saved = model.read_bytes()
    yield
    (ROOT / "labs" / "grading" / "learner_was_here.py").unlink(missing_ok=True)
    if model.read_bytes() != saved:
        model.write_bytes(saved)


def test_a_file_that_writes_into_the_labs_changes_nothing(tmp_path: Path, project_guard: None) -> None:
    labs = tmp_path / "labs"
    shutil.copytree(FAKE_LABS, labs)
    before = (_tree(ROOT / "labs"), _tree(labs))
    learner = hostile_file("writes_into_labs.py", tmp_path, lab_tests=labs / "fake_add" / "test_fake_add.py")
    verdict = _check(learner, _env(tmp_path / "home", tmp_path / "data", labs))
    _assert_reported(verdict)
    if namespaces_allowed():
        assert (_tree(ROOT / "labs"), _tree(labs)) == before
        assert verdict["outcome"] == "failed" and verdict["passed"] == 0
        assert verdict["message"].count("Read-only file system") == 3 and READ_ONLY_NOTE in verdict["message"]


class Listener:
    """A TCP server on 127.0.0.1 that records what reaches it, for as long as the `with` block lasts."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                self.received.append(connection.recv(1 << 16))

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._socket.close()


def test_a_file_that_opens_a_socket_reaches_nothing(tmp_path: Path) -> None:
    with Listener() as listener:
        learner = hostile_file("opens_socket.py", tmp_path, port=listener.port)
        verdict = _check(learner, _env(tmp_path / "home", tmp_path / "data"))
    _assert_reported(verdict)
    if namespaces_allowed():
        assert listener.received == []
        assert verdict["message"] == ("your file could not be imported, so no test could run: importing "
                                      "opens_socket.py raised OSError: [Errno 101] Network is unreachable "
                                      "(sandbox: checks run without network)")  # fmt: skip
    else:
        assert listener.received and b"Hostile learner file" in listener.received[0]


def test_a_file_that_deletes_the_home_deletes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "plan.md").write_text("interview on Friday")
    (home / ".bashrc").write_text("export EDITOR=vi")
    before = _tree(home)
    learner = hostile_file("deletes_home.py", tmp_path, home_folder=home)
    verdict = _check(learner, _env(home, tmp_path / "data"))
    _assert_reported(verdict)
    if namespaces_allowed():
        assert _tree(home) == before
        assert "Read-only file system" in verdict["message"] and READ_ONLY_NOTE in verdict["message"]


@pytest.mark.slow
def test_the_tui_s_streamed_check_is_sandboxed_too(tmp_path: Path, trainer_home: Path) -> None:
    """stream_check (the TUI's driver) in this very process, whose own environment names the data folder."""
    history = _seed(trainer_home / "progress.db")
    learner = hostile_file("overwrites_database.py", tmp_path, safe_root=tmp_path, data_folder=trainer_home)

    async def stream() -> list:
        return [item async for item in stream_check("fake_add", learner, labs_root=FAKE_LABS)]

    *events, result = asyncio.run(stream())
    assert isinstance(result, CheckResult) and set(result.sandbox["applied"]) == expected_protections()
    assert _reviews(Path(result.sandbox["backup"])) == history
    if namespaces_allowed():
        assert _reviews(trainer_home / "progress.db") == history
        assert DATA_NOTE in result.message and "TRAINER_HOME is not set" in result.message
        live = [e.result.message for e in events if e.kind == "finished"]
        assert len(live) == 5 and all(DATA_NOTE in message for message in live)
