"""Copies of progress.db made with SQLite's backup API: one a day, one before each schema upgrade, and restores.

They live in `backups/` beside the database:
- `progress-YYYY-MM-DD.db`: the day's copy, made before the first grade or check of the day; the last seven are kept;
- `progress-vN-before-upgrade-STAMP.db`: the database as it was before its schema was upgraded from version N;
- `progress-before-restore-STAMP.db`: the database as it was before `restore` replaced it.
A copy is written aside and renamed into place, so a half-written copy never carries a copy's name.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from trainer.store import reads

FOLDER = "backups"
DAILY_KEPT = 7
_DAILY = re.compile(r"progress-\d{4}-\d{2}-\d{2}\.db")
_UPGRADE = re.compile(r"progress-v(\d+)-before-upgrade-\d{8}T\d{12}Z\.db")
_RESTORE = re.compile(r"progress-before-restore-\d{8}T\d{12}Z\.db")


class BackupError(Exception):
    """A copy could not be made or brought back; the message names the file and what to do."""


@dataclass(frozen=True)
class Backup:
    """One copy in the backups folder."""

    path: Path
    kind: str
    made: datetime
    size: int
    reviews: int | None
    """Grades it holds (undone ones left out); None when it cannot be read."""

    @property
    def name(self) -> str:
        """The file's name, which `restore` accepts."""
        return self.path.name


def backup_folder(db: Path) -> Path:
    """Where the copies of `db` live."""
    return db.parent / FOLDER


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy the open database `source` to `target` (a file of its own, rollback journal), through a partial file of
    this process's own (two trainer processes may copy at once)."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    finally:
        copy.close()
    os.replace(partial, target)


def copy_database(db: Path, target: Path) -> Path:
    """A consistent copy of `db` at `target`, even while another process writes to it; BackupError if impossible."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(db, timeout=reads.BUSY_TIMEOUT_MS / 1000)
        try:
            _copy(source, target)
        finally:
            source.close()
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(
            f"could not copy {db} to {target} ({exc}); check that the folder is writable and has room."
        ) from exc
    return target


def before_opening(db: Path, version: int, current: int) -> Path | None:
    """What the Store copies before it opens `db` (at schema `version`; this trainer's is `current`): the day's copy
    (a warning on stderr if it fails), and a copy before an upgrade, whose path it returns and says on stderr.
    BackupError when an upgrade is due but no copy can be made: the database is then left as it is."""
    try:
        daily_backup(db)
    except BackupError as exc:
        print(f"trainer: warning: no copy of the database today: {exc}", file=sys.stderr)
    if not 0 < version < current:
        return None
    try:
        copy = before_upgrade(db, version)
    except BackupError as exc:
        raise BackupError(f"{db} must be upgraded to schema version {current}, but it was left untouched because "
                          f"no copy could be made first: {exc}") from exc  # fmt: skip
    print(f"trainer: upgrading {db} from schema version {version} to {current}; the previous file is kept at {copy}",
          file=sys.stderr)  # fmt: skip
    return copy


def _has_data(db: Path) -> bool:
    return db.is_file() and db.stat().st_size > 0


def daily_backup(db: Path, today: date | None = None) -> Path | None:
    """Today's copy of `db`, made now unless it already exists (making one removes the daily copies beyond the last
    seven); None when there is no database yet."""
    if not _has_data(db):
        return None
    target = backup_folder(db) / f"progress-{(today or date.today()).isoformat()}.db"
    if target.exists():
        return target
    copy_database(db, target)
    dailies = sorted(p for p in backup_folder(db).iterdir() if _DAILY.fullmatch(p.name))
    for old in dailies[:-DAILY_KEPT]:
        old.unlink(missing_ok=True)
    return target


def before_upgrade(db: Path, version: int) -> Path:
    """Copy `db`, at schema `version`, aside before it is upgraded."""
    return copy_database(db, backup_folder(db) / f"progress-v{version}-before-upgrade-{_stamp()}.db")


def _reviews(path: Path) -> int | None:
    """The grades a copy holds, None when it cannot be read."""
    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return int(con.execute("SELECT count(*) FROM review_log WHERE NOT undone").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return None


def list_backups(db: Path) -> list[Backup]:
    """Every copy of `db`, newest first."""
    folder = backup_folder(db)
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        for pattern, kind in ((_DAILY, "daily"), (_UPGRADE, "schema v{}, before upgrade"), (_RESTORE, "before restore")):
            match = pattern.fullmatch(path.name)
            if match:
                info = path.stat()
                kind = kind.format(match.group(1)) if pattern is _UPGRADE else kind
                made = datetime.fromtimestamp(info.st_mtime, timezone.utc)
                found.append(Backup(path, kind, made, info.st_size, _reviews(path)))
    return sorted(found, key=lambda b: b.made, reverse=True)


def _check_copy(path: Path) -> None:
    """A copy that can be brought back: an SQLite file of a schema this trainer reads."""
    try:
        version, tables = reads.peek(path)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a usable SQLite database ({exc}); choose another copy.") from exc
    if version == 0 or "review_log" not in tables:
        raise BackupError(f"{path} is not a trainer progress database; choose another copy.")
    if version > reads.SCHEMA_VERSION:
        raise BackupError(f"{path} has schema version {version}, newer than this trainer reads: upgrade trainer first.")


def _hold_alone(db: Path) -> sqlite3.Connection:
    """A connection holding `db` exclusively until closed; BackupError when another process has it open."""
    con = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        con.execute("COMMIT")
    except sqlite3.OperationalError:
        con.close()
        raise BackupError(
            f"{db} is open in another trainer process (the TUI, a review or a check): close it, then restore again."
        ) from None
    return con


def _is_damaged(db: Path) -> bool:
    """Whether `db` holds something that is not an SQLite database."""
    try:
        reads.peek(db)
    except sqlite3.DatabaseError:
        return True
    return False


def _set_aside(db: Path) -> Path:
    """Move a damaged `db` (and its -wal and -shm files) aside, unread: no SQLite call can copy it."""
    aside = backup_folder(db) / f"progress-before-restore-{_stamp()}.db"
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.replace(db, aside)
    for suffix in ("-wal", "-shm"):
        companion = db.with_name(db.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    return aside


def _replace(copy: Path, db: Path) -> Path | None:
    """Copy `copy` over the database `db` while holding it alone; the copy of the replaced one, if any."""
    aside = None
    con = _hold_alone(db)
    try:
        if _has_data(db):
            aside = backup_folder(db) / f"progress-before-restore-{_stamp()}.db"
            aside.parent.mkdir(parents=True, exist_ok=True)
            _copy(con, aside)
        source = sqlite3.connect(copy)
        try:
            source.backup(con)
        finally:
            source.close()
    finally:
        con.close()
    return aside


def restore(copy: Path, db: Path) -> Path | None:
    """Replace `db` by `copy`, refusing while another process has `db` open. The replaced database is first kept
    as `progress-before-restore-STAMP.db` (moved aside unread when it is damaged): its path is returned, None when
    there was no database."""
    _check_copy(copy)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        if _has_data(db) and _is_damaged(db):
            aside = _set_aside(db)
            copy_database(copy, db)
            return aside
        return _replace(copy, db)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"could not restore {db} from {copy} ({exc}); check that the folder is writable.") from exc
