"""The progress database's writable side: SQLModel tables, schema checks and migrations, and every write."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert, update
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Field, SQLModel

from trainer import lab_review
from trainer.paths import cannot_write, db_path
from trainer.srs import SM2State, START_EF_CENTI, due_date, sm2_step, validate_quality
from trainer.store import backup, reads, transfer
from trainer.store.reads import BUSY_TIMEOUT_MS, SCHEMA_VERSION
from trainer.store.records import (
    CardFlagRecord,
    CardStateRecord,
    LabAttemptRecord,
    LabCheckRecord,
    LabEventRecord,
    LabReviewRecord,
    LabStateRecord,
    ReviewLogRecord,
    UndoRecord,
)

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
    own_file: bool = True
    """Whether it checked the learner's own workspace file: only such checks move a lab's status and schedule."""
    round: int = 0
    """The lab's round when it ran (trainer.lab_review)."""


class LabEventRow(SQLModel, table=True):
    """Append-only: one row per thing done on a lab besides a check (start, re-solve, hint, solution, reset)."""

    __tablename__ = "lab_event"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True)
    round: int = 0
    at: datetime
    day: date
    kind: str
    detail: str = ""


class LabStateRow(SQLModel, table=True):
    """One row per lab whose own file has passed: its SM-2 schedule (a lab never passed has no row)."""

    __tablename__ = "lab_state"
    slug: str = Field(primary_key=True)
    ef_centi: int = START_EF_CENTI
    repetitions: int = 0
    interval: int = 0
    due: date = Field(index=True)
    lapses: int = 0
    last_review: datetime | None = None


class LabReviewRow(SQLModel, table=True):
    """Append-only: one row per graded round, with what its grade came from and the schedule after it."""

    __tablename__ = "lab_review"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True)
    round: int
    reviewed_at: datetime
    day: date
    quality: int
    checks: int
    failed: int
    hints: int
    solution_shown: bool
    seconds: float
    after_ef_centi: int
    after_repetitions: int
    after_interval: int
    after_due: date
    after_lapses: int


class CardFlagRow(SQLModel, table=True):
    """A card held out of the queue: suspended until released, or buried for the rest of a learning day. A card
    with no row is neither (a new card never has a card_state row, so the flags live apart)."""

    __tablename__ = "card_flag"
    card_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    suspended: bool = False
    buried_on: date | None = None


_CS = CardStateRow.__table__
_LOG = ReviewLogRow.__table__
_LAB = LabAttemptRow.__table__
_FLAG = CardFlagRow.__table__
_EVENT = LabEventRow.__table__
_LAB_STATE = LabStateRow.__table__
_LAB_REVIEW = LabReviewRow.__table__
_LAB_TABLES = (_EVENT, _LAB_STATE, _LAB_REVIEW)


def _to_db_time(moment: datetime) -> datetime:
    """Aware UTC for storage; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


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


def _upgrade_2_to_3(conn: Connection) -> None:
    """v3: the card_flag table (suspended and buried cards)."""
    _FLAG.create(conn, checkfirst=True)


def _upgrade_3_to_4(conn: Connection) -> None:
    """v4: labs on the schedule. Each check says whether it checked the learner's own file and in which round; the
    lab_event, lab_state and lab_review tables. Checks stored before knew no path, so they count as the learner's
    own; each lab passed before then is graded at its first pass (5, or 4 after failed checks: hints and the
    solution shown were not stored) on that day, so that it joins the schedule."""
    have = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(lab_attempt)")}  # v1 -> v2 made it whole
    for column, sql in (("own_file", "BOOLEAN NOT NULL DEFAULT 1"), ("round", "INTEGER NOT NULL DEFAULT 0")):
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE lab_attempt ADD COLUMN {column} {sql}")
    for table in _LAB_TABLES:
        table.create(conn, checkfirst=True)
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    _grade_ungraded_rounds(conn)


UPGRADES = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3, 3: _upgrade_3_to_4}
"""UPGRADES[v] turns a version-v database into version v+1."""


def _preflight(path: Path) -> int:
    """Check an existing file without writing to it: an SQLite database of a version we can read; its version."""
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        version, tables = reads.peek(path)
    except sqlite3.DatabaseError as exc:
        raise NotADatabaseError(
            f"{path} is not an SQLite database ({exc}). It was left untouched: `trainer restore` brings back a "
            "daily copy (it moves the damaged file aside), or move it aside yourself and trainer starts a new one."
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
    return version


def _migrate(conn: Connection, path: Path) -> None:
    """Create a fresh schema or upgrade an old one, inside the caller's write transaction."""
    version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
    if version == 0:
        SQLModel.metadata.create_all(conn, tables=[_CS, _LOG, _LAB, _FLAG, *_LAB_TABLES])
    elif version > SCHEMA_VERSION:
        raise NewerSchemaError(f"{path} has schema version {version}; upgrade trainer to use it.")
    else:
        for step in range(version, SCHEMA_VERSION):
            UPGRADES[step](conn)
    if version != SCHEMA_VERSION:
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


# --------------------------------------------------------------------------- labs on the schedule


def _lab_state_values(state: LabStateRecord) -> dict:
    return {
        "ef_centi": round(state.easiness * 100),
        "repetitions": state.repetitions,
        "interval": state.interval,
        "due": state.due,
        "lapses": state.lapses,
        "last_review": _to_db_time(state.last_review) if state.last_review else None,
    }


def _grade_round(conn: Connection, passing: LabAttemptRecord, day: date) -> LabReviewRecord:
    """Grade the round of `passing`, its first pass of the learner's own file, on learning day `day`: the grade from
    what happened in the round before it (trainer.lab_review), one SM-2 step on the lab's schedule."""
    db = _driver(conn)
    slug = passing.slug
    before_checks = [a for a in reads.lab_attempts(db, slug) if a.round == passing.round and a.id < passing.id]
    events = [e for e in reads.lab_events(db, slug) if e.round == passing.round]
    facts = lab_review.round_facts(before_checks, events, passing.started_at)
    quality = lab_review.lab_grade(facts)
    before = reads.lab_state(db, slug)
    new = sm2_step(before.sm2 if before else SM2State(), quality)
    lapse = before is not None and before.repetitions > 0 and quality < 3
    after = LabStateRecord(slug, new.easiness, new.repetitions, new.interval, due_date(day, new),
                           (before.lapses if before else 0) + int(lapse), _to_db_time(passing.started_at))  # fmt: skip
    conn.execute(delete(_LAB_STATE).where(_LAB_STATE.c.slug == slug))
    conn.execute(insert(_LAB_STATE).values(slug=slug, **_lab_state_values(after)))
    values = {
        "slug": slug,
        "round": passing.round,
        "reviewed_at": after.last_review,
        "day": day,
        "quality": quality,
        "checks": facts.checks,
        "failed": facts.failed,
        "hints": facts.hints,
        "solution_shown": facts.solution_shown,
        "seconds": facts.seconds,
        **{f"after_{k}": v for k, v in _lab_state_values(after).items() if k != "last_review"},
    }
    conn.execute(insert(_LAB_REVIEW).values(**values))
    return reads.lab_review_of(db, slug, passing.round)  # type: ignore[return-value] - just written


def _grade_ungraded_rounds(conn: Connection) -> list[LabReviewRecord]:
    """Grade every round that has a pass of the learner's own file but no grade yet (progress stored before labs
    were scheduled, or imported from such a file), at its first such pass, on that pass's UTC date."""
    db = _driver(conn)
    graded = {(r.slug, r.round) for r in reads.lab_reviews(db)}
    done = []
    for attempt in reads.lab_attempts(db):
        key = (attempt.slug, attempt.round)
        if attempt.own_file and attempt.outcome == "passed" and key not in graded:
            graded.add(key)
            done.append(_grade_round(conn, attempt, attempt.started_at.date()))
    return done


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


def _driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy one, inside the same transaction."""
    return conn.connection.driver_connection


class Store(reads.Reader):
    """The progress database at one path. Every write is one `BEGIN IMMEDIATE` transaction through SQLModel's
    tables; reads are the plain SQL of `trainer.store.reads`, run on the engine's own connections."""

    writable = True

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path} cannot be created: {cannot_write(exc)}.") from exc
        try:  # the day's copy, and one before a schema upgrade (no copy, no upgrade)
            self.upgrade_copy = backup.before_opening(path, _preflight(path), SCHEMA_VERSION)
        except backup.BackupError as exc:
            raise StoreError(str(exc)) from exc
        self._engine = _make_engine(path)
        try:
            with self._write() as conn:
                _migrate(conn, path)
        except DatabaseError as exc:
            self._engine.dispose()
            if isinstance(exc, OperationalError):
                raise StoreError(
                    f"{path} could not be opened ({exc.orig}): check that the folder {path.parent} exists and is "
                    "writable, or set TRAINER_HOME to a folder you can write to."
                ) from exc
            raise NotADatabaseError(f"{path} is not a usable SQLite database ({exc.orig}); move it aside.") from exc

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.execution_options(immediate=True).begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._engine.begin() as conn:
            yield _driver(conn)

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
            before = reads.card_state(_driver(conn), card_id)
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
            log = reads.last_log(_driver(conn))
            if log is None:
                return None
            if not log.is_repeat:
                if log.before is None:
                    conn.execute(delete(_CS).where(_CS.c.card_id == log.card_id))
                else:
                    conn.execute(
                        update(_CS).where(_CS.c.card_id == log.card_id).values(**_state_values(log.before))
                    )
            conn.execute(update(_LOG).where(_LOG.c.id == log.id).values(undone=True))
            restored = reads.card_state(_driver(conn), log.card_id)
        return UndoRecord(log=replace(log, undone=True), restored=restored)

    def add_lab_attempt(self, slug: str, **check: object) -> LabAttemptRecord:
        """Store one lab check and return it with its id (see `record_lab_check`)."""
        return self.record_lab_check(slug, **check).attempt  # type: ignore[arg-type]

    def record_lab_check(
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
        own_file: bool = True,
        day: date | None = None,
    ) -> LabCheckRecord:
        """Store one lab check in one transaction, in the lab's current round. The first pass of the learner's own
        file in a round grades the round and moves the lab's schedule from learning day `day` (default: the UTC date
        of `started_at`); any other check moves nothing."""
        at = _to_db_time(started_at)
        with self._write() as conn:
            db = _driver(conn)
            values = {
                "slug": slug,
                "started_at": at,
                "file_sha256": file_sha256,
                "outcome": outcome,
                "passed": passed,
                "failed": failed,
                "errors": errors,
                "seconds": float(seconds),
                "device": device,
                "own_file": own_file,
                "round": reads.lab_round(db, slug),
            }
            new_id = conn.execute(insert(_LAB).values(**values)).inserted_primary_key[0]
            attempt = reads.lab_attempt(db, new_id)
            review = None
            if own_file and outcome == "passed" and reads.lab_review_of(db, slug, attempt.round) is None:
                review = _grade_round(conn, attempt, day or at.date())
        return LabCheckRecord(attempt, review)

    def add_lab_event(self, slug: str, kind: str, *, at: datetime, day: date, detail: str = "") -> LabEventRecord:
        """Log something done on a lab (trainer.lab_review.EVENT_KINDS) in its current round; a re-solve opens the
        next round. ValueError for an unknown kind, nothing written."""
        if kind not in lab_review.EVENT_KINDS:
            raise ValueError(f"a lab event is one of {', '.join(lab_review.EVENT_KINDS)}, got {kind!r}")
        with self._write() as conn:
            db = _driver(conn)
            round_no = reads.lab_round(db, slug) + (kind == lab_review.RESOLVE)
            values = {"slug": slug, "round": round_no, "at": _to_db_time(at), "day": day, "kind": kind,
                      "detail": detail}  # fmt: skip
            new_id = conn.execute(insert(_EVENT).values(**values)).inserted_primary_key[0]
            return next(e for e in reads.lab_events(db, slug) if e.id == new_id)


    # -- export and import (trainer.store.transfer)

    def export_tables(self) -> dict[str, transfer.Rows]:
        """Every row of every exported table, as stored, in one read transaction."""
        with self._read() as db:
            return transfer.dump(db)

    def table_counts(self) -> dict[str, int]:
        """Rows in each exported table."""
        with self._read() as db:
            return transfer.counts(db)

    def import_tables(
        self, data: Mapping[str, object], *, merge: bool, known: Mapping[str, Collection[object]]
    ) -> dict[str, int]:
        """Check `data` (see transfer.check), then write it in one transaction; rows written per table. Without
        `merge` the tables must be empty. RowError, with nothing written, when a row or the home is not right."""
        with self._write() as conn:
            db = _driver(conn)
            transfer.check(db, data, known)
            if not merge and any(transfer.counts(db).values()):
                raise transfer.RowError(f"{self.path} already holds progress")
            written = transfer.load(db, data, merge)  # type: ignore[arg-type] - checked above
            _grade_ungraded_rounds(conn)  # a file from before labs were scheduled: its passes join the schedule
            return written

    def set_suspended(self, card_id: int, suspended: bool) -> CardFlagRecord | None:
        """Suspend a card (it leaves every queue until released) or release it; returns its flags now."""
        return self._set_flags(card_id, suspended=suspended)

    def set_buried(self, card_id: int, day: date | None) -> CardFlagRecord | None:
        """Bury a card for the rest of learning day `day` (it comes back the next one), or unbury it (None)."""
        return self._set_flags(card_id, buried_on=day)

    def _set_flags(self, card_id: int, **change: object) -> CardFlagRecord | None:
        """Change some of a card's flags in one transaction; a card left neither suspended nor buried has no row."""
        with self._write() as conn:
            old = reads.card_flags(_driver(conn), card_id)
            flags = replace(old[0] if old else CardFlagRecord(card_id), **change)
            conn.execute(delete(_FLAG).where(_FLAG.c.card_id == card_id))
            if flags.suspended or flags.buried_on is not None:
                values = {"card_id": card_id, "suspended": flags.suspended, "buried_on": flags.buried_on}
                conn.execute(insert(_FLAG).values(**values))
                return flags
        return None


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
