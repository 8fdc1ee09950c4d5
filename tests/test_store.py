"""The progress database: grades, undo, lab attempts, schema versions and bad files."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.srs import SM2State
from trainer.store import database as store
from trainer.store.database import (
    SCHEMA_VERSION,
    NewerSchemaError,
    NotADatabaseError,
    Store,
    UnknownSchemaError,
    open_store,
)

DAY = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

V1_SCHEMA = """
CREATE TABLE card_state (
    card_id INTEGER NOT NULL, ef_centi INTEGER NOT NULL, repetitions INTEGER NOT NULL,
    interval INTEGER NOT NULL, due DATE NOT NULL, lapses INTEGER NOT NULL, last_review DATETIME,
    PRIMARY KEY (card_id));
CREATE TABLE review_log (
    id INTEGER NOT NULL, card_id INTEGER NOT NULL, reviewed_at DATETIME NOT NULL, day DATE NOT NULL,
    quality INTEGER NOT NULL, before_ef_centi INTEGER, before_repetitions INTEGER, before_interval INTEGER,
    before_due DATE, before_lapses INTEGER, before_last_review DATETIME, after_ef_centi INTEGER NOT NULL,
    after_repetitions INTEGER NOT NULL, after_interval INTEGER NOT NULL, after_due DATE NOT NULL,
    after_lapses INTEGER NOT NULL, after_last_review DATETIME, seconds FLOAT NOT NULL,
    is_repeat BOOLEAN NOT NULL, undone BOOLEAN NOT NULL, PRIMARY KEY (id));
CREATE INDEX ix_review_log_card_id ON review_log (card_id);
INSERT INTO card_state VALUES (7, 260, 1, 1, '2026-02-02', 0, '2026-02-01 08:00:00.000000');
INSERT INTO review_log VALUES (1, 7, '2026-02-01 08:00:00.000000', '2026-02-01', 5, NULL, NULL, NULL, NULL,
    NULL, NULL, 260, 1, 1, '2026-02-02', 0, '2026-02-01 08:00:00.000000', 4.5, 0, 0);
PRAGMA user_version = 1;
"""


@pytest.fixture
def db(trainer_home: Path) -> Store:
    return open_store()


def schema_of(path: Path) -> set[tuple[str, str]]:
    """(type, name) and columns of every table and index, for comparing two databases."""
    con = sqlite3.connect(path)
    try:
        query = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        items = {(r[0], r[1]) for r in con.execute(query)}
        for kind, name in list(items):
            if kind == "table":
                items |= {("column", f"{name}.{c[1]}:{c[2]}:{c[3]}") for c in con.execute(f"PRAGMA table_info({name})")}
        return items
    finally:
        con.close()


def test_fresh_database_is_wal_at_current_version(db: Store, trainer_home: Path) -> None:
    assert db.path == (trainer_home / "progress.db").resolve()
    assert db.schema_version() == SCHEMA_VERSION
    con = sqlite3.connect(db.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_open_store_is_one_store_per_path(db: Store) -> None:
    assert open_store() is db


def test_first_grade_creates_state_and_log(db: Store) -> None:
    log = db.record_grade(3, 5, at=AT, day=DAY, seconds=2.5)
    assert log.before is None and not log.is_repeat and log.first_of_day
    assert log.after.sm2 == SM2State(2.6, 1, 1)
    assert log.after.due == DAY + timedelta(days=1)
    assert log.reviewed_at == AT and log.seconds == 2.5
    assert db.card_state(3) == log.after
    assert db.review_logs() == [log]


def test_second_grade_same_day_is_a_flagged_repeat(db: Store) -> None:
    first = db.record_grade(3, 2, at=AT, day=DAY)
    repeat = db.record_grade(3, 5, at=AT + timedelta(minutes=3), day=DAY)
    assert repeat.is_repeat and repeat.before == first.after == repeat.after
    assert db.card_state(3) == first.after


def test_a_lapse_is_counted(db: Store) -> None:
    db.record_grade(1, 5, at=AT, day=DAY)
    log = db.record_grade(1, 1, at=AT + timedelta(days=1), day=DAY + timedelta(days=1))
    assert log.after.lapses == 1 and log.after.repetitions == 0 and log.after.easiness == 2.6


def test_bad_grade_writes_nothing(db: Store) -> None:
    for bad in (6, -1, "5", 4.0):
        with pytest.raises(ValueError):
            db.record_grade(1, bad, at=AT, day=DAY)  # type: ignore[arg-type]
    assert db.review_logs(include_undone=True) == [] and db.card_states() == []


def test_due_cards_most_overdue_first(db: Store) -> None:
    for card_id, days_ago in ((1, 1), (2, 5), (3, 3), (4, 0)):
        day = DAY - timedelta(days=days_ago + 1)
        db.record_grade(card_id, 4, at=AT, day=day)
    assert [cid for cid, _ in db.due_cards(DAY)] == [2, 3, 1, 4]
    assert [s.card_id for s in db.card_states([4, 2, 99])] == [2, 4]
    assert db.new_card_ids([9, 4, 8, 1, 7, 6], limit=3, today=DAY) == [9, 8, 7]
    assert db.new_card_ids(list(range(1, 2000)), limit=5, today=DAY) == [5, 6, 7, 8, 9]
    assert db.new_card_ids([1, 2, 3, 4], limit=5, today=DAY) == []


def test_queue_query_uses_the_due_index(db: Store) -> None:
    con = sqlite3.connect(db.path)
    plan = con.execute(
        "EXPLAIN QUERY PLAN SELECT card_id, due FROM card_state WHERE due <= '2026-01-01' ORDER BY due, card_id"
    ).fetchall()
    con.close()
    assert "ix_card_state_due" in " ".join(str(row) for row in plan)


def test_undo_restores_exactly_and_keeps_history(db: Store) -> None:
    db.record_grade(1, 5, at=AT, day=DAY)
    day2 = DAY + timedelta(days=1)
    before = db.card_state(1)
    db.record_grade(1, 3, at=AT + timedelta(days=1), day=day2)
    db.record_grade(1, 5, at=AT + timedelta(days=1, minutes=1), day=day2)
    first = db.undo_last()
    assert first is not None and first.log.is_repeat and first.log.undone
    second = db.undo_last()
    assert second is not None and second.restored == before == db.card_state(1)
    third = db.undo_last()
    assert third is not None and third.restored is None and db.card_state(1) is None
    assert db.undo_last() is None
    logs = db.review_logs(include_undone=True)
    assert len(logs) == 3 and all(log.undone for log in logs)
    assert db.review_logs() == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 5), st.integers(0, 3)), min_size=1, max_size=12))
def test_undo_restores_every_previous_state(db: Store, steps: list[tuple[int, int, int]]) -> None:
    while db.undo_last() is not None:  # hypothesis reuses the fixture: start from an empty state
        pass
    snapshots = []
    day = DAY
    for card_id, quality, gap in steps:
        day += timedelta(days=gap)
        snapshots.append(db.card_states())
        db.record_grade(card_id, quality, at=AT, day=day)
    for expected in reversed(snapshots):
        assert db.undo_last() is not None
        assert db.card_states() == expected


def test_lab_attempts_round_trip(db: Store) -> None:
    a = db.add_lab_attempt("kv_cache", started_at=AT, file_sha256="ab" * 32, outcome="failed",
                           passed=3, failed=1, seconds=2.0)
    db.add_lab_attempt("rnn_vs_attention", started_at=AT, file_sha256="cd" * 32, outcome="timeout",
                          device="cuda")
    assert a.id == 1 and a.started_at == AT and a.outcome == "failed" and a.device == "cpu"
    assert store.lab_attempts("kv_cache") == [a]
    assert [x.slug for x in store.lab_attempts()] == ["kv_cache", "rnn_vs_attention"]


def test_module_level_readers_use_trainer_home(db: Store) -> None:
    log = db.record_grade(2, 4, at=AT, day=DAY)
    assert store.review_logs() == [log]
    assert store.card_states() == [log.after]


def test_upgrade_from_v1_keeps_data_and_matches_a_fresh_schema(trainer_home: Path, tmp_path: Path) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    old = trainer_home / "progress.db"
    con = sqlite3.connect(old)
    con.executescript(V1_SCHEMA)
    con.close()
    db = open_store()
    assert db.schema_version() == SCHEMA_VERSION
    assert db.card_state(7) == store.CardStateRecord(
        7, 2.6, 1, 1, date(2026, 2, 2), 0, datetime(2026, 2, 1, 8, tzinfo=timezone.utc)
    )
    [log] = db.review_logs()
    assert log.quality == 5 and log.seconds == 4.5 and log.before is None
    assert db.undo_last() is not None and db.card_state(7) is None
    db.add_lab_attempt("kv_cache", started_at=AT, file_sha256="x", outcome="passed")
    fresh = Store(tmp_path / "fresh.db")
    fresh.close()
    assert schema_of(old) == schema_of(tmp_path / "fresh.db")


def test_newer_schema_is_refused_and_left_untouched(trainer_home: Path) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    path = trainer_home / "progress.db"
    con = sqlite3.connect(path)
    con.executescript(f"CREATE TABLE card_state (card_id INTEGER); PRAGMA user_version = {SCHEMA_VERSION + 1};")
    con.close()
    original = path.read_bytes()
    with pytest.raises(NewerSchemaError) as info:
        open_store()
    assert str(path) in str(info.value) and "upgrade trainer" in str(info.value)
    assert path.read_bytes() == original


@pytest.mark.parametrize("content", [b"hello, this is not a database\n" * 50, b"\x00\x01garbage" * 1000])
def test_not_a_database_is_refused_and_left_untouched(trainer_home: Path, content: bytes) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    path = trainer_home / "progress.db"
    path.write_bytes(content)
    with pytest.raises(NotADatabaseError) as info:
        open_store()
    assert str(path) in str(info.value) and "move it aside" in str(info.value)
    assert path.read_bytes() == content


def test_a_foreign_sqlite_database_is_refused(trainer_home: Path) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    path = trainer_home / "progress.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE photos (id INTEGER)")
    con.commit()
    con.close()
    original = path.read_bytes()
    with pytest.raises(UnknownSchemaError, match="not a trainer progress database"):
        open_store()
    assert path.read_bytes() == original


V2_SCHEMA = V1_SCHEMA.replace("PRAGMA user_version = 1;", """
CREATE INDEX ix_card_state_due ON card_state (due);
CREATE INDEX ix_review_log_day ON review_log (day);
CREATE TABLE lab_attempt (
    id INTEGER NOT NULL, slug VARCHAR NOT NULL, started_at DATETIME NOT NULL, file_sha256 VARCHAR NOT NULL,
    passed INTEGER NOT NULL, failed INTEGER NOT NULL, errors INTEGER NOT NULL, seconds FLOAT NOT NULL,
    device VARCHAR NOT NULL, outcome VARCHAR NOT NULL, PRIMARY KEY (id));
CREATE INDEX ix_lab_attempt_slug ON lab_attempt (slug);
INSERT INTO lab_attempt VALUES (1, 'kv_cache', '2026-02-01 09:00:00.000000', 'ab', 5, 0, 0, 1.5, 'cpu', 'passed');
PRAGMA user_version = 2;
""")


def test_upgrade_from_v2_adds_the_card_flags_and_keeps_data(trainer_home: Path, tmp_path: Path) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    old = trainer_home / "progress.db"
    con = sqlite3.connect(old)
    con.executescript(V2_SCHEMA)
    con.close()
    db = open_store()
    assert db.schema_version() == SCHEMA_VERSION
    assert [s.card_id for s in db.card_states()] == [7] and len(db.review_logs()) == 1
    assert [a.outcome for a in db.lab_attempts()] == ["passed"]
    assert db.card_flags() == [] and db.set_suspended(7, True) == store.CardFlagRecord(7, suspended=True)
    fresh = Store(tmp_path / "fresh.db")
    fresh.close()
    assert schema_of(old) == schema_of(tmp_path / "fresh.db")


def test_suspended_cards_never_enter_the_queue(db: Store) -> None:
    for card_id in (1, 2):
        db.record_grade(card_id, 4, at=AT, day=DAY - timedelta(days=3))
    db.set_suspended(2, True)
    db.set_suspended(5, True)  # a new card
    for day in (DAY, DAY + timedelta(days=400)):
        assert [cid for cid, _ in db.due_cards(day)] == [1]
        assert db.new_card_ids([3, 4, 5, 6], 3, day) == [3, 4, 6]
    assert db.set_suspended(2, False) is None and db.card_flags() == [store.CardFlagRecord(5, suspended=True)]
    assert [cid for cid, _ in db.due_cards(DAY)] == [1, 2]


def test_buried_cards_come_back_the_next_learning_day(db: Store) -> None:
    db.record_grade(1, 4, at=AT, day=DAY - timedelta(days=3))
    db.set_buried(1, DAY)
    db.set_buried(4, DAY)
    assert db.due_cards(DAY) == [] and db.new_card_ids([3, 4, 5], 2, DAY) == [3, 5]
    assert db.held_card_ids(DAY) == {1, 4}
    tomorrow = DAY + timedelta(days=1)
    assert [cid for cid, _ in db.due_cards(tomorrow)] == [1] and db.new_card_ids([3, 4, 5], 2, tomorrow) == [3, 4]
    assert db.held_card_ids(tomorrow) == set()
    db.set_suspended(4, True)
    assert db.set_buried(4, None) == store.CardFlagRecord(4, suspended=True)  # unburying keeps the suspension
    assert db.set_buried(1, None) is None and [f.card_id for f in db.card_flags()] == [4]


def test_review_logs_of_one_card(db: Store) -> None:
    db.record_grade(1, 4, at=AT, day=DAY)
    db.record_grade(2, 3, at=AT, day=DAY)
    db.record_grade(1, 5, at=AT + timedelta(days=1), day=DAY + timedelta(days=1))
    assert [(log.card_id, log.quality) for log in db.review_logs(card_id=1)] == [(1, 4), (1, 5)]
