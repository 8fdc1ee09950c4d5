"""Copies of progress.db: the day's copy (seven kept), the copy before a schema upgrade, and `trainer restore`."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_store import V1_SCHEMA
from trainer.cli import app
from trainer.store import backup
from trainer.store.database import SCHEMA_VERSION, Store, StoreError

AT = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
runner = CliRunner()


def _grades(db: Path, *cards: int) -> None:
    store = Store(db)
    for card in cards:
        store.record_grade(card, 4, at=AT, day=AT.date())
    store.close()


def _reviews(path: Path) -> list[int]:
    con = sqlite3.connect(path)
    try:
        return [row[0] for row in con.execute("SELECT card_id FROM review_log ORDER BY id")]
    finally:
        con.close()


@pytest.fixture
def db(trainer_home: Path) -> Path:
    trainer_home.mkdir(parents=True, exist_ok=True)
    return trainer_home / "progress.db"


def test_the_day_s_copy_is_made_once_and_the_last_seven_are_kept(db: Path) -> None:
    assert backup.daily_backup(db) is None and not backup.backup_folder(db).exists()  # nothing to copy yet
    _grades(db, 1, 2)
    first = date.today() - timedelta(days=30)
    copy = backup.daily_backup(db, first)
    assert copy == backup.backup_folder(db) / f"progress-{first.isoformat()}.db" and _reviews(copy) == [1, 2]
    _grades(db, 3)  # opening the Store made today's copy, before this grade
    assert backup.daily_backup(db, first) == copy and _reviews(copy) == [1, 2]  # once a day
    assert _reviews(backup.daily_backup(db)) == [1, 2]  # type: ignore[arg-type]
    upgrade = backup.before_upgrade(db, 1)
    for offset in range(1, 9):
        backup.daily_backup(db, first + timedelta(days=offset))
    names = sorted(p.name for p in backup.backup_folder(db).iterdir())
    kept = [first + timedelta(days=offset) for offset in range(3, 9)] + [date.today()]
    assert names == [f"progress-{day.isoformat()}.db" for day in kept] + [upgrade.name]


def test_a_copy_is_a_file_of_its_own(db: Path) -> None:
    _grades(db, 1)
    copy = backup.daily_backup(db)
    assert copy is not None and sorted(p.name for p in copy.parent.iterdir()) == [copy.name]
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    con.close()


def test_opening_the_store_makes_the_day_s_copy(db: Path) -> None:
    _grades(db, 4)  # the first opening found no database: nothing to copy
    assert not backup.backup_folder(db).exists()
    Store(db).close()
    (copy,) = backup.list_backups(db)
    assert copy.kind == "daily" and copy.name == f"progress-{date.today().isoformat()}.db" and copy.reviews == 1


def test_an_upgrade_copies_the_old_file_aside_first_and_says_where(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = sqlite3.connect(db)
    con.executescript(V1_SCHEMA)
    con.close()
    store = Store(db)
    store.close()
    copy = store.upgrade_copy
    assert copy is not None and copy.parent == backup.backup_folder(db)
    assert copy.name.startswith("progress-v1-before-upgrade-")
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA user_version").fetchone() == (1,) and _reviews(copy) == [7]
    con.close()
    err = capsys.readouterr().err
    assert f"upgrading {db} from schema version 1 to {SCHEMA_VERSION}; the previous file is kept at {copy}" in err
    kinds = {b.name: b.kind for b in backup.list_backups(db)}
    assert kinds[copy.name] == "schema v1, before upgrade"


def test_no_copy_no_upgrade(db: Path) -> None:
    con = sqlite3.connect(db)
    con.executescript(V1_SCHEMA)
    con.close()
    folder = backup.backup_folder(db)
    folder.write_text("a file where the backups folder should be")
    with pytest.raises(StoreError) as info:
        Store(db)
    assert "left untouched because no copy could be made first" in str(info.value)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone() == (1,)
    con.close()


def test_restore_lists_the_copies_and_brings_one_back_keeping_the_replaced_one(db: Path) -> None:
    _grades(db, 1, 2)
    backup.daily_backup(db, date(2026, 3, 1))
    _grades(db, 3)
    listing = runner.invoke(app, ["restore"], env={"COLUMNS": "160"})
    assert listing.exit_code == 0 and "progress-2026-03-01.db" in listing.stdout and "daily" in listing.stdout
    done = runner.invoke(app, ["restore", "progress-2026-03-01.db", "--yes"], env={"COLUMNS": "300"})
    assert done.exit_code == 0, done.output
    assert _reviews(db) == [1, 2]
    (aside,) = [b for b in backup.list_backups(db) if b.kind == "before restore"]
    assert _reviews(aside.path) == [1, 2, 3] and str(aside.path) in done.stdout
    store = Store(db)  # the restored database is usable as it is
    assert [log.card_id for log in store.review_logs()] == [1, 2]
    store.close()


def test_restore_refuses_while_another_process_has_the_database_open(db: Path) -> None:
    _grades(db, 1)
    copy = backup.daily_backup(db, date(2026, 3, 1))
    assert copy is not None
    _grades(db, 2)
    store = Store(db)
    store.card_states()  # an open connection, as in the TUI
    try:
        refused = runner.invoke(app, ["restore", "1", "--yes"], env={"COLUMNS": "300"})
    finally:
        store.close()
    assert refused.exit_code == 2
    assert f"{db} is open in another trainer process" in refused.stderr.replace("\n", "")
    assert _reviews(db) == [1, 2] and {b.kind for b in backup.list_backups(db)} == {"daily"}


def test_restore_replaces_a_damaged_database_and_keeps_it_aside(db: Path) -> None:
    _grades(db, 5)
    copy = backup.daily_backup(db, date(2026, 3, 1))
    assert copy is not None
    for leftover in (db.with_name("progress.db-wal"), db.with_name("progress.db-shm")):
        leftover.unlink(missing_ok=True)
    db.write_bytes(b"this is not a database any more\n" * 64)
    db.with_name("progress.db-wal").write_bytes(b"stale")
    aside = backup.restore(copy, db)
    assert aside is not None and aside.read_bytes().startswith(b"this is not a database")
    assert aside.with_name(aside.name + "-wal").read_bytes() == b"stale"
    assert not db.with_name("progress.db-wal").exists() and _reviews(db) == [5]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"garbage" * 100, "is not a usable SQLite database"), (None, "is not a trainer progress database")],
)
def test_restore_refuses_a_copy_that_is_not_a_progress_database(
    db: Path, content: bytes | None, message: str
) -> None:
    _grades(db, 1)
    bad = backup.backup_folder(db) / "progress-2026-03-02.db"
    bad.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        sqlite3.connect(bad).executescript("CREATE TABLE notes (x); PRAGMA user_version = 1;")
    else:
        bad.write_bytes(content)
    result = runner.invoke(app, ["restore", bad.name, "--yes"], env={"COLUMNS": "300"})
    assert result.exit_code == 2 and message in result.stderr.replace("\n", "")
    assert _reviews(db) == [1]


def test_restore_with_no_copies_says_when_they_are_made(db: Path) -> None:
    result = runner.invoke(app, ["restore"], env={"COLUMNS": "300"})
    assert result.exit_code == 0 and "trainer makes one each day before the first grade or check" in result.stdout
    unknown = runner.invoke(app, ["restore", "3"], env={"COLUMNS": "300"})
    assert unknown.exit_code == 2 and "no copy '3'" in unknown.stderr
    assert not os.path.exists(db)
