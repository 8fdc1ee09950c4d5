"""Crash and concurrency: kill -9 mid-session, and two processes grading at once.

The fast versions fork a child that runs the real plain-review loop (`run_plain`) over a
ReviewService, so no test waits for a fresh interpreter to import everything; the slow versions
run the `trainer review --plain` command itself in subprocesses.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trainer.cli.review_cmd import run_plain
from trainer.config import Settings, save_settings
from trainer.review import ReviewService
from trainer.store import database as store

SAVED = re.compile(r"^saved: card (\d+) graded (\d).*\[log (\d+)\]$")
UNDONE = re.compile(r"^undone: card (\d+) grade (\d) \[log (\d+)\]$")


@dataclass(frozen=True)
class FakeCard:
    """The parts of deck.Card the plain review prints."""

    id: int

    def title(self, lang: str) -> str:
        return f"card {self.id}"

    def question(self, lang: str) -> str:
        return f"question {self.id}"

    def answer(self, lang: str) -> str:
        return f"answer {self.id}"


CARDS = [FakeCard(i) for i in range(1, 3001)]


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    store.close_all()
    yield
    store.close_all()


def fork_reviewer(commands: str) -> tuple[int, int]:
    """Fork a child running the plain review over `commands`; return (pid, fd of its output)."""
    store.close_all()  # never carry SQLite connections across fork
    cmd_r, cmd_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: review until EOF, then exit without running the parent's clean-ups
        code = 0
        try:
            os.close(cmd_w)
            os.close(out_r)
            inp = os.fdopen(cmd_r, "r")
            out = os.fdopen(out_w, "w")

            def echo(text: str) -> None:
                out.write(text + "\n")
                out.flush()

            lines = iter(inp.readline, "")
            service = ReviewService(CARDS, store.open_store(), Settings(new_per_day=1000))
            run_plain(service, lines, echo)
        except BaseException:  # noqa: BLE001 - report through the exit code
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(cmd_r)
    os.close(out_w)
    with os.fdopen(cmd_w, "w") as feed:  # a pipe buffer holds all of it; the child reads at its own pace
        feed.write(commands)
    return pid, out_r


def read_all(fd: int) -> list[str]:
    with os.fdopen(fd, "r") as stream:
        return stream.read().splitlines()


def acknowledged(lines: list[str]) -> tuple[dict[int, tuple[int, int]], set[int]]:
    """From the output: log id -> (card, quality) for each saved grade, and the log ids undone."""
    saved: dict[int, tuple[int, int]] = {}
    undone: set[int] = set()
    for line in lines:
        if m := SAVED.match(line):
            saved[int(m[3])] = (int(m[1]), int(m[2]))
        elif m := UNDONE.match(line):
            undone.add(int(m[3]))
    return saved, undone


def db_rows(path: Path) -> dict[int, tuple[int, int, bool]]:
    """log id -> (card, quality, undone), read with plain sqlite3 after an integrity check."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'review_log'").fetchone():
            return {}  # killed before the schema was created: nothing can have been acknowledged
        rows = con.execute("SELECT id, card_id, quality, undone FROM review_log").fetchall()
        return {r[0]: (r[1], r[2], bool(r[3])) for r in rows}
    finally:
        con.close()


def check_states_follow_the_log(path: Path) -> None:
    """Each card's state is the `after` of its latest effective first-of-day grade; no state without one."""
    con = sqlite3.connect(path)
    try:
        query = "SELECT card_id, ef_centi, repetitions, interval, due FROM card_state"
        states = {r[0]: r[1:] for r in con.execute(query)}
        latest = {}
        for r in con.execute(
            "SELECT card_id, after_ef_centi, after_repetitions, after_interval, after_due FROM review_log "
            "WHERE undone = 0 AND is_repeat = 0 ORDER BY id"
        ):
            latest[r[0]] = r[1:]
    finally:
        con.close()
    assert states == latest


def random_commands(rng: random.Random, n: int) -> str:
    """A session's worth of input: reveals, grades, a few bad lines and undos."""
    parts = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.05:
            parts.append("u")
        elif roll < 0.08:
            parts.append(rng.choice(["9", "x", "-1"]))
        else:
            if rng.random() < 0.5:
                parts.append("")
            parts.append(str(rng.randint(0, 5)))
    return "\n".join(parts) + "\n"


def crash_rounds(path: Path, rounds: int, seed: int) -> int:
    """Kill a forked reviewer at random moments; check every acknowledged grade survived.

    Each round waits for a random number of acknowledgements (0-12) and then a random few
    milliseconds more, so the kill lands anywhere: at start-up, mid-transaction, between grades.
    """
    rng = random.Random(seed)
    total_acks = 0
    for _ in range(rounds):
        pid, out = fork_reviewer(random_commands(rng, 400))
        target = rng.randint(0, 12)
        lines: list[str] = []
        with os.fdopen(out, "r") as stream:
            while len(acknowledged(lines)[0]) < target and (line := stream.readline()):
                lines.append(line.rstrip("\n"))
            time.sleep(rng.uniform(0.0, 0.02))
            os.kill(pid, signal.SIGKILL)
            lines += stream.read().splitlines()
        os.waitpid(pid, 0)
        saved, undone = acknowledged(lines)
        assert len(saved) >= target
        rows = db_rows(path)
        for log_id, (card, quality) in saved.items():
            assert rows[log_id][:2] == (card, quality), f"acknowledged grade {log_id} lost"
        for log_id in undone:
            assert rows[log_id][2], f"acknowledged undo of {log_id} lost"
        total_acks += len(saved)
    store.open_store(path)  # it opens cleanly afterwards
    check_states_follow_the_log(path)
    return total_acks


def test_kill_9_at_random_points_loses_no_acknowledged_grade(trainer_home: Path) -> None:
    path = trainer_home / "progress.db"
    assert crash_rounds(path, rounds=25, seed=20261127) > 50


def concurrent_rounds(path: Path, per_process: int, seed: int) -> None:
    """Two forked reviewers grade at the same time; every grade is stored, none crashes."""
    rng = random.Random(seed)
    children = []
    for _ in range(2):
        commands = "\n".join(str(rng.choice([1, 2, 3, 4, 5])) for _ in range(per_process)) + "\nq\n"
        children.append(fork_reviewer(commands))
    outputs = []
    for pid, out in children:
        outputs.append(read_all(out))
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "a reviewer crashed"
    rows = db_rows(path)
    for lines in outputs:
        saved, _ = acknowledged(lines)
        assert len(saved) == per_process
        for log_id, (card, quality) in saved.items():
            assert rows[log_id][:2] == (card, quality)
    assert len(rows) == 2 * per_process
    check_states_follow_the_log(path)


def test_two_processes_grading_at_once_lose_nothing(trainer_home: Path) -> None:
    store.open_store()  # create the schema first, as the TUI would have
    concurrent_rounds(trainer_home / "progress.db", per_process=300, seed=7)


# ---------------------------------------------------------------- slow: the real command in fresh interpreters

TRAINER = [sys.executable, "-c", "from trainer.launcher import main; main()"]


def plain_review(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*TRAINER, "review", "--plain"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env,
    )


@pytest.mark.slow
def test_real_command_killed_at_random_points(trainer_home: Path) -> None:
    save_settings(Settings(new_per_day=20))
    env = dict(os.environ)
    rng = random.Random(99)
    path = trainer_home / "progress.db"
    for _ in range(30):
        proc = plain_review(env)
        assert proc.stdin is not None
        proc.stdin.write("\n".join(str(rng.randint(0, 3)) for _ in range(300)) + "\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.8, 2.0))
        proc.kill()
        out, _ = proc.communicate()
        saved, _ = acknowledged(out.splitlines())
        rows = db_rows(path)
        for log_id, (card, quality) in saved.items():
            assert rows[log_id][:2] == (card, quality)
    check_states_follow_the_log(path)


@pytest.mark.slow
def test_real_commands_grading_at_once(trainer_home: Path) -> None:
    save_settings(Settings(new_per_day=20))
    env = dict(os.environ)
    procs = [plain_review(env) for _ in range(2)]
    outs = [p.communicate("\n".join("2" for _ in range(500)) + "\nq\n", timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    rows = db_rows(trainer_home / "progress.db")
    acks = [acknowledged(out.splitlines())[0] for out, _ in outs]
    assert [len(a) for a in acks] == [500, 500] and len(rows) == 1000
    check_states_follow_the_log(trainer_home / "progress.db")


def test_the_checks_catch_a_lost_grade(trainer_home: Path) -> None:
    """The checker itself fails when an acknowledged grade is missing (so the tests above can fail)."""
    path = trainer_home / "progress.db"
    pid, out = fork_reviewer("5\n4\nq\n")
    saved, _ = acknowledged(read_all(out))
    os.waitpid(pid, 0)
    assert len(saved) == 2
    con = sqlite3.connect(path)
    con.execute("DELETE FROM review_log WHERE id = ?", (max(saved),))
    con.commit()
    con.close()
    with pytest.raises(AssertionError):
        check_states_follow_the_log(path)
    assert max(saved) not in db_rows(path)
