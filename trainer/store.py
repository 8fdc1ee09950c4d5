"""The progress database (SQLite via SQLModel): card states, the review log, lab attempts, migrations."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Field, SQLModel

from trainer.paths import db_path
from trainer.srs import SM2State, START_EF_CENTI, due_date, sm2_step, validate_quality

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 30_000


# --------------------------------------------------------------------------- errors


class StoreError(Exception):
    """The progress database cannot be used; the message names the file and what to do."""


class NotADatabaseError(StoreError):
    """progress.db exists but is not an SQLite database."""


class NewerSchemaError(StoreError):
    """progress.db was written by a newer trainer (its schema version is above ours)."""


class UnknownSchemaError(StoreError):
    """progress.db is an SQLite database, but not one of ours."""


# --------------------------------------------------------------------------- tables


class CardStateRow(SQLModel, table=True):
    """One row per card that has been graded at least once (a new card has no row)."""

    __tablename__ = "card_state"
    card_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ef_centi: int = START_EF_CENTI
    repetitions: int = 0
    interval: int = 0
    due: date = Field(index=True)
    lapses: int = 0
    last_review: datetime | None = None


class ReviewLogRow(SQLModel, table=True):
    """Append-only: one row per grade; undo sets `undone`, nothing is ever deleted."""

    __tablename__ = "review_log"
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(index=True)
    reviewed_at: datetime
    day: date = Field(index=True)
    quality: int
    before_ef_centi: int | None = None
    before_repetitions: int | None = None
    before_interval: int | None = None
    before_due: date | None = None
    before_lapses: int | None = None
    before_last_review: datetime | None = None
    after_ef_centi: int
    after_repetitions: int
    after_interval: int
    after_due: date
    after_lapses: int
    after_last_review: datetime | None = None
    seconds: float = 0.0
    is_repeat: bool = False
    undone: bool = False


class LabAttemptRow(SQLModel, table=True):
    """One row per `trainer lab check` run."""

    __tablename__ = "lab_attempt"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True)
    started_at: datetime
    file_sha256: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    outcome: str


_CS = CardStateRow.__table__
_LOG = ReviewLogRow.__table__
_LAB = LabAttemptRow.__table__


# --------------------------------------------------------------------------- records (plain objects out)


@dataclass(frozen=True)
class CardStateRecord:
    """A card's schedule: SM-2 state, due learning day, lapses, last schedule-changing review (UTC)."""

    card_id: int
    easiness: float
    repetitions: int
    interval: int
    due: date
    lapses: int = 0
    last_review: datetime | None = None

    @property
    def sm2(self) -> SM2State:
        """The SM-2 part of the state."""
        return SM2State(self.easiness, self.repetitions, self.interval)


@dataclass(frozen=True)
class ReviewLogRecord:
    """One grade. `before` is None when the card was new; a repeat (`is_repeat`) leaves the state as is."""

    id: int
    card_id: int
    reviewed_at: datetime
    day: date
    quality: int
    before: CardStateRecord | None
    after: CardStateRecord
    seconds: float
    is_repeat: bool
    undone: bool

    @property
    def first_of_day(self) -> bool:
        """Whether this grade changed the schedule (the day's first grade of the card)."""
        return not self.is_repeat


@dataclass(frozen=True)
class UndoRecord:
    """What an undo did: the log row (now marked undone) and the state restored (None: card is new again)."""

    log: ReviewLogRecord
    restored: CardStateRecord | None


@dataclass(frozen=True)
class LabAttemptRecord:
    """One lab check: counts, duration, device and outcome ("passed", "failed", "error", "timeout")."""

    id: int
    slug: str
    started_at: datetime
    file_sha256: str
    passed: int
    failed: int
    errors: int
    seconds: float
    device: str
    outcome: str


def _to_db_time(moment: datetime) -> datetime:
    """Aware UTC for storage; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _from_db_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else _to_db_time(moment)


def _state_from_row(row, prefix: str = "") -> CardStateRecord:  # noqa: ANN001 - a SQLAlchemy Row
    """A card state from a card_state row, or from a log row's `before_`/`after_` columns."""

    def col(name: str) -> Any:
        return getattr(row, prefix + name)

    return CardStateRecord(
        card_id=row.card_id,
        easiness=col("ef_centi") / 100,
        repetitions=col("repetitions"),
        interval=col("interval"),
        due=col("due"),
        lapses=col("lapses"),
        last_review=_from_db_time(col("last_review")),
    )


def _log_from_row(row) -> ReviewLogRecord:  # noqa: ANN001 - a SQLAlchemy Row
    before = None if row.before_ef_centi is None else _state_from_row(row, "before_")
    after = _state_from_row(row, "after_")
    return ReviewLogRecord(
        id=row.id,
        card_id=row.card_id,
        reviewed_at=_from_db_time(row.reviewed_at),
        day=row.day,
        quality=row.quality,
        before=before,
        after=after,
        seconds=row.seconds,
        is_repeat=bool(row.is_repeat),
        undone=bool(row.undone),
    )


def _lab_from_row(row) -> LabAttemptRecord:  # noqa: ANN001 - a SQLAlchemy Row
    return LabAttemptRecord(
        id=row.id,
        slug=row.slug,
        started_at=_from_db_time(row.started_at),
        file_sha256=row.file_sha256,
        passed=row.passed,
        failed=row.failed,
        errors=row.errors,
        seconds=row.seconds,
        device=row.device,
        outcome=row.outcome,
    )


def _state_values(state: CardStateRecord) -> dict:
    return {
        "ef_centi": round(state.easiness * 100),
        "repetitions": state.repetitions,
        "interval": state.interval,
        "due": state.due,
        "lapses": state.lapses,
        "last_review": _to_db_time(state.last_review) if state.last_review else None,
    }


# --------------------------------------------------------------------------- migrations


def _upgrade_1_to_2(conn: Connection) -> None:
    """v2: indexes for today's queue and per-day logs, and the lab_attempt table."""
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_card_state_due ON card_state (due)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_review_log_day ON review_log (day)")
    _LAB.create(conn, checkfirst=True)
    for index in _LAB.indexes:
        index.create(conn, checkfirst=True)


UPGRADES = {1: _upgrade_1_to_2}
"""UPGRADES[v] turns a version-v database into version v+1."""


def _peek(path: Path, read_only: bool) -> tuple[int, set[str]]:
    """The schema version and table names of an existing file, read without changing it."""
    mode = "ro" if read_only else "rw"
    con = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()
    return version, tables


def _preflight(path: Path) -> None:
    """Check an existing file without writing to it: an SQLite database of a version we can read."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        try:
            version, tables = _peek(path, read_only=True)
        except sqlite3.OperationalError:  # e.g. a WAL database whose -shm cannot be made read-only
            version, tables = _peek(path, read_only=False)
    except sqlite3.DatabaseError as exc:
        raise NotADatabaseError(
            f"{path} is not an SQLite database ({exc}). It was left untouched: move it aside "
            "(or point TRAINER_HOME elsewhere) and trainer will start a new progress database."
        ) from exc
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path} has schema version {version}, but this trainer reads up to version {SCHEMA_VERSION}. "
            "It was left untouched: upgrade trainer (pip install -U transformer-trainer) to use it."
        )
    if version == 0 and tables - {"sqlite_sequence"}:
        raise UnknownSchemaError(
            f"{path} is an SQLite database but not a trainer progress database (tables: "
            f"{', '.join(sorted(tables))}). It was left untouched: move it aside or point TRAINER_HOME elsewhere."
        )


def _migrate(conn: Connection, path: Path) -> None:
    """Create a fresh schema or upgrade an old one, inside the caller's write transaction."""
    version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
    if version == 0:
        SQLModel.metadata.create_all(conn, tables=[_CS, _LOG, _LAB])
    elif version > SCHEMA_VERSION:
        raise NewerSchemaError(f"{path} has schema version {version}; upgrade trainer to use it.")
    else:
        for step in range(version, SCHEMA_VERSION):
            UPGRADES[step](conn)
    if version != SCHEMA_VERSION:
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


# --------------------------------------------------------------------------- the store


def _make_engine(path: Path) -> Engine:
    """An engine whose connections use WAL, a busy timeout and foreign keys, and open explicit transactions."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"isolation_level": None, "timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("immediate") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """The progress database at one path. Every write is one `BEGIN IMMEDIATE` transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        _preflight(path)
        self._engine = _make_engine(path)
        try:
            with self._write() as conn:
                _migrate(conn, path)
        except DatabaseError as exc:
            self._engine.dispose()
            if isinstance(exc, OperationalError):
                raise StoreError(f"{path} could not be opened ({exc.orig}).") from exc
            raise NotADatabaseError(f"{path} is not a usable SQLite database ({exc.orig}); move it aside.") from exc

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.execution_options(immediate=True).begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    # -- reads

    def schema_version(self) -> int:
        """The database's `PRAGMA user_version`."""
        with self._read() as conn:
            return conn.exec_driver_sql("PRAGMA user_version").scalar_one()

    def card_state(self, card_id: int) -> CardStateRecord | None:
        """One card's state, or None for a new card."""
        with self._read() as conn:
            row = conn.execute(select(_CS).where(_CS.c.card_id == card_id)).first()
        return None if row is None else _state_from_row(row)

    def card_states(self, card_ids: Iterable[int] | None = None) -> list[CardStateRecord]:
        """The states of every graded card (or of those among `card_ids`), by card id."""
        stmt = select(_CS).order_by(_CS.c.card_id)
        if card_ids is not None:
            wanted = func.json_each(json.dumps(list(card_ids))).table_valued("value")
            stmt = stmt.where(_CS.c.card_id.in_(select(wanted.c.value)))
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [_state_from_row(r) for r in rows]

    def due_cards(self, today: date) -> list[tuple[int, date]]:
        """(card id, due day) of the cards due on or before `today`, most overdue first (uses the due index)."""
        with self._read() as conn:  # the DBAPI cursor directly: thousands of rows, no Row objects
            rows = conn.connection.driver_connection.execute(
                "SELECT card_id, due FROM card_state WHERE due <= ? ORDER BY due, card_id", (today.isoformat(),)
            ).fetchall()
        return [(cid, date.fromisoformat(due)) for cid, due in rows]

    def new_card_ids(self, deck_ids: Sequence[int], limit: int) -> list[int]:
        """The first `limit` of `deck_ids` (kept in order) that have no state yet, i.e. are new.

        Looks the ids up in growing chunks, so a deck of 100,000 cards costs one small query
        when new cards are near the front.
        """
        found: list[int] = []
        start, size = 0, 256
        with self._read() as conn:
            while start < len(deck_ids) and len(found) < limit:
                chunk = json.dumps(list(deck_ids[start : start + size]))
                found += conn.exec_driver_sql(
                    "SELECT j.value FROM json_each(?) AS j WHERE NOT EXISTS "
                    "(SELECT 1 FROM card_state AS c WHERE c.card_id = j.value) ORDER BY j.key LIMIT ?",
                    (chunk, limit - len(found)),
                ).scalars().all()
                start, size = start + size, min(size * 4, 32768)
        return found

    def review_logs(
        self, since_day: date | None = None, day: date | None = None, include_undone: bool = False
    ) -> list[ReviewLogRecord]:
        """Review log rows in order; by default without undone rows. `day` picks one learning day."""
        stmt = select(_LOG).order_by(_LOG.c.id)
        if not include_undone:
            stmt = stmt.where(_LOG.c.undone.is_(False))
        if since_day is not None:
            stmt = stmt.where(_LOG.c.day >= since_day)
        if day is not None:
            stmt = stmt.where(_LOG.c.day == day)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [_log_from_row(r) for r in rows]

    # -- writes

    def record_grade(
        self, card_id: int, quality: int, *, at: datetime, day: date, seconds: float = 0.0
    ) -> ReviewLogRecord:
        """Grade `card_id` on learning day `day` in one transaction and return the new log row.

        The grade changes the schedule only when it is the card's first of the day (the card is
        new or due on or before `day`); otherwise it is logged as a repeat and the state stays.
        """
        q = validate_quality(quality)
        at_db = _to_db_time(at)
        with self._write() as conn:
            row = conn.execute(select(_CS).where(_CS.c.card_id == card_id)).first()
            before = None if row is None else _state_from_row(row)
            is_repeat = before is not None and before.due > day
            if is_repeat:
                after = before
            else:
                old = before.sm2 if before else SM2State()
                new = sm2_step(old, q)
                lapse = before is not None and before.repetitions > 0 and q < 3
                after = CardStateRecord(
                    card_id=card_id,
                    easiness=new.easiness,
                    repetitions=new.repetitions,
                    interval=new.interval,
                    due=due_date(day, new),
                    lapses=(before.lapses if before else 0) + int(lapse),
                    last_review=at_db,
                )
                if before is None:
                    conn.execute(insert(_CS).values(card_id=card_id, **_state_values(after)))
                else:
                    conn.execute(update(_CS).where(_CS.c.card_id == card_id).values(**_state_values(after)))
            values = {
                "card_id": card_id,
                "reviewed_at": at_db,
                "day": day,
                "quality": q,
                "seconds": float(seconds),
                "is_repeat": is_repeat,
                "undone": False,
            }
            if before is not None:
                values.update({f"before_{k}": v for k, v in _state_values(before).items()})
            values.update({f"after_{k}": v for k, v in _state_values(after).items()})
            log_id = conn.execute(insert(_LOG).values(**values)).inserted_primary_key[0]
        return ReviewLogRecord(
            id=log_id,
            card_id=card_id,
            reviewed_at=at_db,
            day=day,
            quality=q,
            before=before,
            after=after,
            seconds=float(seconds),
            is_repeat=is_repeat,
            undone=False,
        )

    def undo_last(self) -> UndoRecord | None:
        """Undo the latest grade not yet undone: restore its `before` state exactly, mark the row undone.

        Returns None when there is nothing to undo. Calling it again undoes the grade before that.
        """
        with self._write() as conn:
            row = conn.execute(
                select(_LOG).where(_LOG.c.undone.is_(False)).order_by(_LOG.c.id.desc()).limit(1)
            ).first()
            if row is None:
                return None
            log = _log_from_row(row)
            if not log.is_repeat:
                if log.before is None:
                    conn.execute(delete(_CS).where(_CS.c.card_id == log.card_id))
                else:
                    conn.execute(
                        update(_CS).where(_CS.c.card_id == log.card_id).values(**_state_values(log.before))
                    )
            conn.execute(update(_LOG).where(_LOG.c.id == log.id).values(undone=True))
            restored_row = conn.execute(select(_CS).where(_CS.c.card_id == log.card_id)).first()
        restored = None if restored_row is None else _state_from_row(restored_row)
        return UndoRecord(log=replace(log, undone=True), restored=restored)

    def add_lab_attempt(
        self,
        slug: str,
        *,
        started_at: datetime,
        file_sha256: str,
        outcome: str,
        passed: int = 0,
        failed: int = 0,
        errors: int = 0,
        seconds: float = 0.0,
        device: str = "cpu",
    ) -> LabAttemptRecord:
        """Store one lab check and return it with its id."""
        values = {
            "slug": slug,
            "started_at": _to_db_time(started_at),
            "file_sha256": file_sha256,
            "outcome": outcome,
            "passed": passed,
            "failed": failed,
            "errors": errors,
            "seconds": float(seconds),
            "device": device,
        }
        with self._write() as conn:
            new_id = conn.execute(insert(_LAB).values(**values)).inserted_primary_key[0]
            row = conn.execute(select(_LAB).where(_LAB.c.id == new_id)).one()
        return _lab_from_row(row)

    def lab_attempts(self, slug: str | None = None) -> list[LabAttemptRecord]:
        """Lab attempts, oldest first; only those of `slug` when given."""
        stmt = select(_LAB).order_by(_LAB.c.id)
        if slug is not None:
            stmt = stmt.where(_LAB.c.slug == slug)
        with self._read() as conn:
            rows = conn.execute(stmt).all()
        return [_lab_from_row(r) for r in rows]


# --------------------------------------------------------------------------- one store per path per process

_stores: dict[Path, Store] = {}
_lock = threading.Lock()


def open_store(path: Path | None = None) -> Store:
    """The process's Store for `path` (default: $TRAINER_HOME/progress.db), opened and migrated on first use."""
    key = (path or db_path()).resolve()
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = Store(key)
        return store


def close_all() -> None:
    """Close every store this process opened (tests use it between TRAINER_HOMEs)."""
    with _lock:
        for store in _stores.values():
            store.close()
        _stores.clear()


def card_states() -> list[CardStateRecord]:
    """Every graded card's state in the default store."""
    return open_store().card_states()


def review_logs(since_day: date | None = None, include_undone: bool = False) -> list[ReviewLogRecord]:
    """Review log rows of the default store (without undone rows unless asked)."""
    return open_store().review_logs(since_day=since_day, include_undone=include_undone)


def lab_attempts(slug: str | None = None) -> list[LabAttemptRecord]:
    """Lab attempts in the default store, oldest first; only `slug`'s when given."""
    return open_store().lab_attempts(slug)
