"""The sqlite3-only Snapshot reads exactly what the Store reads, sees new commits, never writes, and steps aside
(returns None) for every file only the Store can handle."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from trainer.review import ReviewService
from trainer.store import database as store
from trainer.store.database import Store, open_store
from trainer.store.reads import SCHEMA_VERSION, EmptySnapshot, Reader, Snapshot

DAY = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


@pytest.fixture
def db(trainer_home: Path) -> Store:
    """A store with new, repeated, undone and lapsed grades and two lab attempts."""
    s = open_store()
    s.record_grade(1, 5, at=AT, day=DAY, seconds=3.25)
    s.record_grade(2, 2, at=AT, day=DAY)
    s.record_grade(2, 4, at=AT + timedelta(minutes=5), day=DAY)  # a repeat
    s.record_grade(3, 4, at=AT, day=DAY)
    s.undo_last()
    s.record_grade(1, 1, at=AT + timedelta(days=1), day=DAY + timedelta(days=1))  # a lapse
    s.add_lab_attempt("kv_cache", started_at=AT, file_sha256="ab" * 32, outcome="failed", passed=3, failed=2)
    s.add_lab_attempt("longformer", started_at=AT, file_sha256="cd" * 32, outcome="passed", passed=17, device="cuda")
    return s


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_snapshot_reads_what_the_store_reads(db: Store) -> None:
    snap = Snapshot.open(db.path)
    assert snap is not None and not snap.writable and db.writable
    assert snap.schema_version() == db.schema_version() == SCHEMA_VERSION
    assert snap.card_states() == db.card_states() and len(snap.card_states()) == 2
    assert snap.card_states([2, 99]) == db.card_states([2, 99])
    assert snap.card_state(1) == db.card_state(1) and snap.card_state(3) is None
    for day in (DAY, DAY + timedelta(days=30)):
        assert snap.due_cards(day) == db.due_cards(day)
    assert snap.new_card_ids([5, 1, 3, 2, 4], 2, DAY) == db.new_card_ids([5, 1, 3, 2, 4], 2, DAY) == [5, 3]
    for kwargs in ({}, {"include_undone": True}, {"day": DAY}, {"since_day": DAY + timedelta(days=1)}):
        assert snap.review_logs(**kwargs) == db.review_logs(**kwargs)
    logs = snap.review_logs(include_undone=True)
    assert [(log.is_repeat, log.undone) for log in logs] == [(False, False), (False, False), (True, False),
                                                              (False, True), (False, False)]
    assert logs[0].reviewed_at == AT and logs[0].seconds == 3.25 and logs[-1].after.lapses == 1
    history = db.review_history(since=DAY + timedelta(days=1))
    assert snap.review_history(since=DAY + timedelta(days=1)) == history
    assert history.per_day == {DAY: 3, DAY + timedelta(days=1): 1} and history.first_day == {1: DAY, 2: DAY}
    assert history.recent == [(1, DAY + timedelta(days=1), 1)]
    assert snap.lab_attempts() == db.lab_attempts() and snap.lab_attempts("longformer")[0].device == "cuda"
    db.add_lab_event("kv_cache", "resolve", at=AT, day=DAY, detail="archive/kv_cache-1.py")
    assert snap.lab_events() == db.lab_events() and snap.lab_round("kv_cache") == db.lab_round("kv_cache") == 1
    assert snap.lab_reviews() == db.lab_reviews() and len(snap.lab_reviews("longformer")) == 1
    assert snap.lab_states() == db.lab_states() and snap.lab_state("longformer") == db.lab_state("longformer")
    assert snap.due_labs(DAY + timedelta(days=1)) == db.due_labs(DAY + timedelta(days=1)) == [
        ("longformer", DAY + timedelta(days=1))]
    snap.close()


def test_snapshot_sees_later_commits(db: Store) -> None:
    snap = Snapshot.open(db.path)
    assert snap is not None
    before = len(snap.review_logs())
    db.record_grade(9, 4, at=AT, day=DAY)
    assert len(snap.review_logs()) == before + 1 and snap.card_state(9) is not None
    snap.close()


def test_snapshot_never_writes(db: Store) -> None:
    store.close_all()  # checkpoints the WAL into the file
    path = db.path
    before = digest(path)
    snap = Snapshot.open(path)
    assert snap is not None
    snap.card_states(), snap.review_logs(include_undone=True), snap.lab_attempts()
    with pytest.raises(AttributeError):
        snap.record_grade  # noqa: B018 - a snapshot has no write methods at all
    snap.close()
    assert digest(path) == before


def test_a_review_on_a_snapshot_counts_but_cannot_grade(db: Store) -> None:
    class Card:
        def __init__(self, id: int) -> None:  # noqa: A002 - the protocol's name
            self.id = id

    snap = Snapshot.open(db.path)
    assert snap is not None
    review = ReviewService([Card(i) for i in range(1, 6)], snap, now=lambda: AT + timedelta(days=40), tz=timezone.utc)
    assert review.summary().due == 2 and review.summary().new == 3
    for act in (lambda: review.grade(4), review.undo):
        with pytest.raises(RuntimeError, match="still opening"):
            act()
    assert len(db.review_logs(include_undone=True)) == 5
    snap.close()


def test_no_file_yet_reads_as_a_fresh_store(tmp_path: Path) -> None:
    empty = Snapshot.open(tmp_path / "progress.db")
    assert isinstance(empty, EmptySnapshot) and not empty.writable
    assert not (tmp_path / "progress.db").exists()
    fresh = Store(tmp_path / "fresh.db")
    calls = {
        "schema_version": (), "card_state": (3,), "card_states": (), "due_cards": (DAY,),
        "new_card_ids": ([5, 1, 3], 2, DAY), "held_card_ids": (DAY,), "card_flags": (), "review_logs": (), "review_history": (DAY,), "lab_attempts": (),
        "lab_events": (), "lab_reviews": (), "lab_states": (), "lab_state": ("kv_cache",), "due_labs": (DAY,),
        "lab_round": ("kv_cache",),
    }
    public = {name for name in vars(Reader) if not name.startswith("_") and callable(getattr(Reader, name))}
    assert public == set(calls)  # a read added to Reader must be added here (and to EmptySnapshot)
    for name, args in calls.items():
        assert getattr(empty, name)(*args) == getattr(fresh, name)(*args), name
    fresh.close()


@pytest.mark.parametrize("version", [1, SCHEMA_VERSION + 1])
def test_no_snapshot_of_another_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "progress.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE card_state (card_id INTEGER PRIMARY KEY)")
    con.execute(f"PRAGMA user_version = {version}")
    con.commit()
    con.close()
    before = digest(path)
    assert Snapshot.open(path) is None
    assert digest(path) == before


def test_no_snapshot_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "progress.db"
    path.write_bytes(b"not a database at all\n" * 100)
    assert Snapshot.open(path) is None
    assert path.read_bytes() == b"not a database at all\n" * 100


def test_the_snapshot_path_does_not_load_sqlalchemy(db: Store, fresh_python: Callable[..., str]) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom trainer.store.reads import Snapshot\n"
        f"s = Snapshot.open(Path({str(db.path)!r}))\nassert len(s.review_logs()) == 4\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic') if m in sys.modules))"
    )
    assert fresh_python(code).strip() == "[]"
