"""Every read of progress.db, in plain sqlite3: shared by the SQLModel `Store` and the quick `Snapshot`.

Importing SQLAlchemy and SQLModel takes 0.4-0.7 s, longer than drawing Textual's first frame; these reads need
only the standard library, so the TUI draws its figures from a Snapshot while the Store loads behind it.
Values are as SQLAlchemy's SQLite dialect writes them: dates 'YYYY-MM-DD', UTC datetimes
'YYYY-MM-DD HH:MM:SS.ffffff' (no offset), booleans 0/1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from trainer.store.records import (
    CardFlagRecord,
    CardStateRecord,
    LabAttemptRecord,
    LabEventRecord,
    LabReviewRecord,
    LabStateRecord,
    ReviewHistory,
    ReviewLogRecord,
)

SCHEMA_VERSION = 4
"""The `PRAGMA user_version` these reads (and the Store's writes) are written for."""
BUSY_TIMEOUT_MS = 30_000
SNAPSHOT_TIMEOUT_S = 0.25
"""A snapshot never waits long for a lock: the Store, opened next, waits (and explains) instead."""

_HELD = "SELECT card_id FROM card_flag WHERE suspended = 1 OR buried_on >= ?"
"""The cards held out of the queue on a learning day (its one parameter)."""
_STATE_COLUMNS = ("ef_centi", "repetitions", "interval", "due", "lapses", "last_review")


def _time(text: str | None) -> datetime | None:
    """A stored UTC datetime, aware again."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _rows(db: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
    """Rows addressable by column name, without changing the connection's own row factory."""
    cursor = db.cursor()
    cursor.row_factory = sqlite3.Row
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def _state(row: sqlite3.Row, prefix: str = "") -> CardStateRecord:
    """A card state from a card_state row, or from a log row's `before_`/`after_` columns."""
    ef, repetitions, interval, due, lapses, last_review = (row[prefix + name] for name in _STATE_COLUMNS)
    return CardStateRecord(
        card_id=row["card_id"],
        easiness=ef / 100,
        repetitions=repetitions,
        interval=interval,
        due=date.fromisoformat(due),
        lapses=lapses,
        last_review=_time(last_review),
    )


def _log(row: sqlite3.Row) -> ReviewLogRecord:
    return ReviewLogRecord(
        id=row["id"],
        card_id=row["card_id"],
        reviewed_at=_time(row["reviewed_at"]),
        day=date.fromisoformat(row["day"]),
        quality=row["quality"],
        before=None if row["before_ef_centi"] is None else _state(row, "before_"),
        after=_state(row, "after_"),
        seconds=row["seconds"],
        is_repeat=bool(row["is_repeat"]),
        undone=bool(row["undone"]),
    )


def _lab(row: sqlite3.Row) -> LabAttemptRecord:
    return LabAttemptRecord(
        id=row["id"],
        slug=row["slug"],
        started_at=_time(row["started_at"]),
        file_sha256=row["file_sha256"],
        passed=row["passed"],
        failed=row["failed"],
        errors=row["errors"],
        seconds=row["seconds"],
        device=row["device"],
        outcome=row["outcome"],
        own_file=bool(row["own_file"]),
        round=row["round"],
    )


def _lab_state(row: sqlite3.Row, prefix: str = "", last_review: str = "last_review") -> LabStateRecord:
    """A lab's schedule from a lab_state row, or from a lab_review row's `after_` columns."""
    return LabStateRecord(
        slug=row["slug"],
        easiness=row[prefix + "ef_centi"] / 100,
        repetitions=row[prefix + "repetitions"],
        interval=row[prefix + "interval"],
        due=date.fromisoformat(row[prefix + "due"]),
        lapses=row[prefix + "lapses"],
        last_review=_time(row[last_review]),
    )


def _lab_event(row: sqlite3.Row) -> LabEventRecord:
    return LabEventRecord(
        id=row["id"],
        slug=row["slug"],
        round=row["round"],
        at=_time(row["at"]),
        day=date.fromisoformat(row["day"]),
        kind=row["kind"],
        detail=row["detail"],
    )


def _lab_review(row: sqlite3.Row) -> LabReviewRecord:
    return LabReviewRecord(
        id=row["id"],
        slug=row["slug"],
        round=row["round"],
        reviewed_at=_time(row["reviewed_at"]),
        day=date.fromisoformat(row["day"]),
        quality=row["quality"],
        checks=row["checks"],
        failed=row["failed"],
        hints=row["hints"],
        solution_shown=bool(row["solution_shown"]),
        seconds=row["seconds"],
        after=_lab_state(row, "after_", "reviewed_at"),
    )


# --------------------------------------------------------------------------- queries on one connection


def card_state(db: sqlite3.Connection, card_id: int) -> CardStateRecord | None:
    """One card's state, or None for a new card."""
    rows = _rows(db, "SELECT * FROM card_state WHERE card_id = ?", (card_id,))
    return _state(rows[0]) if rows else None


def card_states(db: sqlite3.Connection, card_ids: Iterable[int] | None = None) -> list[CardStateRecord]:
    """The states of every graded card (or of those among `card_ids`), by card id."""
    if card_ids is None:
        rows = _rows(db, "SELECT * FROM card_state ORDER BY card_id")
    else:
        rows = _rows(
            db,
            "SELECT * FROM card_state WHERE card_id IN (SELECT value FROM json_each(?)) ORDER BY card_id",
            (json.dumps(list(card_ids)),),
        )
    return [_state(r) for r in rows]


def due_cards(db: sqlite3.Connection, today: date) -> list[tuple[int, date]]:
    """(card id, due day) of the cards due on or before `today`, most overdue first (uses the due index); suspended
    cards and cards buried on or after `today` are left out."""
    rows = db.execute(
        f"SELECT card_id, due FROM card_state WHERE due <= ? AND card_id NOT IN ({_HELD}) ORDER BY due, card_id",
        (today.isoformat(), today.isoformat()),
    ).fetchall()
    return [(cid, date.fromisoformat(due)) for cid, due in rows]


def new_card_ids(db: sqlite3.Connection, deck_ids: Sequence[int], limit: int, today: date) -> list[int]:
    """The first `limit` of `deck_ids` (kept in order) that have no state yet, i.e. are new, and are not held on
    learning day `today` (suspended, or buried on or after it).

    Looks the ids up in growing chunks, so a deck of 100,000 cards costs one small query when new cards
    are near the front.
    """
    found: list[int] = []
    start, size = 0, 256
    while start < len(deck_ids) and len(found) < limit:
        chunk = json.dumps(list(deck_ids[start : start + size]))
        found += [
            cid
            for (cid,) in db.execute(
                "SELECT j.value FROM json_each(?) AS j WHERE NOT EXISTS "
                "(SELECT 1 FROM card_state AS c WHERE c.card_id = j.value) "
                f"AND j.value NOT IN ({_HELD}) ORDER BY j.key LIMIT ?",
                (chunk, today.isoformat(), limit - len(found)),
            )
        ]
        start, size = start + size, min(size * 4, 32768)
    return found


def held_card_ids(db: sqlite3.Connection, today: date) -> set[int]:
    """Cards held out of the queue on learning day `today`: suspended, or buried on or after it."""
    return {cid for (cid,) in db.execute(_HELD, (today.isoformat(),))}


def card_flags(db: sqlite3.Connection, card_id: int | None = None) -> list[CardFlagRecord]:
    """The flags of every card suspended or buried (or of `card_id` alone), by card id."""
    sql = "SELECT card_id, suspended, buried_on FROM card_flag"
    rows = db.execute(sql + " ORDER BY card_id" if card_id is None else sql + " WHERE card_id = ?",
                      () if card_id is None else (card_id,)).fetchall()
    return [CardFlagRecord(cid, bool(s), None if b is None else date.fromisoformat(b)) for cid, s, b in rows]


def review_logs(
    db: sqlite3.Connection,
    since_day: date | None = None,
    day: date | None = None,
    include_undone: bool = False,
    card_id: int | None = None,
) -> list[ReviewLogRecord]:
    """Review log rows in order; by default without undone rows. `day` picks one learning day, `card_id` one card."""
    where, params = [], []
    if not include_undone:
        where.append("undone = 0")
    if card_id is not None:
        where.append("card_id = ?")
        params.append(card_id)
    if since_day is not None:
        where.append("day >= ?")
        params.append(since_day.isoformat())
    if day is not None:
        where.append("day = ?")
        params.append(day.isoformat())
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return [_log(r) for r in _rows(db, f"SELECT * FROM review_log{clause} ORDER BY id", params)]


def review_history(db: sqlite3.Connection, since: date) -> ReviewHistory:
    """Grades per day and each card's first day over the whole log, and the grades from `since` on.

    Aggregated in SQL, so the cost follows days and cards rather than grades: a year of daily reviews of
    the deck (7,300 grades) reads in a few milliseconds.
    """
    per_day = db.execute("SELECT day, count(*) FROM review_log WHERE undone = 0 GROUP BY day").fetchall()
    first_day = db.execute("SELECT card_id, min(day) FROM review_log WHERE undone = 0 GROUP BY card_id").fetchall()
    recent = db.execute(
        "SELECT card_id, day, quality FROM review_log WHERE undone = 0 AND day >= ? ORDER BY day, id",
        (since.isoformat(),),
    ).fetchall()
    days = {text: date.fromisoformat(text) for text, _ in per_day}  # every day in the log, parsed once
    return ReviewHistory(
        per_day={days[day]: n for day, n in per_day},
        first_day={cid: days[day] for cid, day in first_day},
        recent=[(cid, days[day], quality) for cid, day, quality in recent],
    )


def last_log(db: sqlite3.Connection) -> ReviewLogRecord | None:
    """The latest grade not yet undone."""
    rows = _rows(db, "SELECT * FROM review_log WHERE undone = 0 ORDER BY id DESC LIMIT 1")
    return _log(rows[0]) if rows else None


def lab_attempts(db: sqlite3.Connection, slug: str | None = None) -> list[LabAttemptRecord]:
    """Lab attempts, oldest first; only those of `slug` when given."""
    if slug is None:
        rows = _rows(db, "SELECT * FROM lab_attempt ORDER BY id")
    else:
        rows = _rows(db, "SELECT * FROM lab_attempt WHERE slug = ? ORDER BY id", (slug,))
    return [_lab(r) for r in rows]


def lab_attempt(db: sqlite3.Connection, attempt_id: int) -> LabAttemptRecord:
    """One lab attempt by id."""
    return _lab(_rows(db, "SELECT * FROM lab_attempt WHERE id = ?", (attempt_id,))[0])


def _by_slug(db: sqlite3.Connection, table: str, slug: str | None, extra: str = "") -> list[sqlite3.Row]:
    """Rows of a lab table in id order, of one lab when `slug` is given."""
    if slug is None:
        return _rows(db, f"SELECT * FROM {table} ORDER BY {extra}id")
    return _rows(db, f"SELECT * FROM {table} WHERE slug = ? ORDER BY {extra}id", (slug,))


def lab_events(db: sqlite3.Connection, slug: str | None = None) -> list[LabEventRecord]:
    """Lab events (start, re-solve, hint, solution, reset), oldest first; only those of `slug` when given."""
    return [_lab_event(r) for r in _by_slug(db, "lab_event", slug)]


def lab_reviews(db: sqlite3.Connection, slug: str | None = None) -> list[LabReviewRecord]:
    """Graded lab rounds, oldest first; only those of `slug` when given."""
    return [_lab_review(r) for r in _by_slug(db, "lab_review", slug)]


def lab_states(db: sqlite3.Connection) -> list[LabStateRecord]:
    """The schedule of every lab whose own file has passed, by slug."""
    return [_lab_state(r) for r in _rows(db, "SELECT * FROM lab_state ORDER BY slug")]


def lab_state(db: sqlite3.Connection, slug: str) -> LabStateRecord | None:
    """One lab's schedule, or None while its own file has never passed."""
    rows = _rows(db, "SELECT * FROM lab_state WHERE slug = ?", (slug,))
    return _lab_state(rows[0]) if rows else None


def due_labs(db: sqlite3.Connection, today: date) -> list[tuple[str, date]]:
    """(slug, due day) of the labs due on or before `today`, most overdue first."""
    rows = db.execute("SELECT slug, due FROM lab_state WHERE due <= ? ORDER BY due, slug", (today.isoformat(),))
    return [(slug, date.fromisoformat(due)) for slug, due in rows.fetchall()]


def lab_round(db: sqlite3.Connection, slug: str) -> int:
    """The lab's current round: the highest round of its events and checks (0 before its first re-solve)."""
    row = db.execute(
        "SELECT max(coalesce((SELECT max(round) FROM lab_event WHERE slug = ?), 0), "
        "coalesce((SELECT max(round) FROM lab_attempt WHERE slug = ?), 0))",
        (slug, slug),
    ).fetchone()
    return row[0]


def lab_review_of(db: sqlite3.Connection, slug: str, round_no: int) -> LabReviewRecord | None:
    """The graded round `round_no` of a lab, or None while that round has no pass of the learner's own file."""
    rows = _rows(db, "SELECT * FROM lab_review WHERE slug = ? AND round = ?", (slug, round_no))
    return _lab_review(rows[0]) if rows else None


def peek(path: Path) -> tuple[int, set[str]]:
    """The schema version and table names of an existing file, read without changing it.

    sqlite3.DatabaseError when the file is not an SQLite database.
    """
    con = _connect(path)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()
    return version, tables


def _connect(path: Path, timeout: float = BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    """A connection that never creates the file: read-only where SQLite allows it, else read-write."""
    try:
        return _open(path, "ro", timeout)
    except sqlite3.OperationalError:  # e.g. a WAL database whose -shm file cannot be made read-only
        return _open(path, "rw", timeout)


def _open(path: Path, mode: str, timeout: float) -> sqlite3.Connection:
    """Connect in URI `mode` and read the schema once, so a file SQLite cannot use fails here."""
    con = sqlite3.connect(
        f"file:{path}?mode={mode}",
        uri=True,
        timeout=timeout,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        con.close()
        raise
    return con


# --------------------------------------------------------------------------- the read methods, once


class Reader:
    """The read methods of a progress database; subclasses say where a connection comes from."""

    writable = False
    """True for the Store, the one reader that also writes."""

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def schema_version(self) -> int:
        """The database's `PRAGMA user_version`."""
        with self._read() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    def card_state(self, card_id: int) -> CardStateRecord | None:
        """One card's state, or None for a new card."""
        with self._read() as db:
            return card_state(db, card_id)

    def card_states(self, card_ids: Iterable[int] | None = None) -> list[CardStateRecord]:
        """The states of every graded card (or of those among `card_ids`), by card id."""
        with self._read() as db:
            return card_states(db, card_ids)

    def due_cards(self, today: date) -> list[tuple[int, date]]:
        """(card id, due day) of the cards due on or before `today`, most overdue first."""
        with self._read() as db:
            return due_cards(db, today)

    def new_card_ids(self, deck_ids: Sequence[int], limit: int, today: date) -> list[int]:
        """The first `limit` of `deck_ids` (kept in order) that are new and not held on `today`."""
        with self._read() as db:
            return new_card_ids(db, deck_ids, limit, today)

    def held_card_ids(self, today: date) -> set[int]:
        """Cards held out of the queue on `today`: suspended, or buried on or after it."""
        with self._read() as db:
            return held_card_ids(db, today)

    def card_flags(self, card_id: int | None = None) -> list[CardFlagRecord]:
        """The flags of every card suspended or buried (or of `card_id` alone), by card id."""
        with self._read() as db:
            return card_flags(db, card_id)

    def review_logs(
        self,
        since_day: date | None = None,
        day: date | None = None,
        include_undone: bool = False,
        card_id: int | None = None,
    ) -> list[ReviewLogRecord]:
        """Review log rows in order; by default without undone rows. `day` picks one learning day, `card_id` one
        card."""
        with self._read() as db:
            return review_logs(db, since_day, day, include_undone, card_id)

    def review_history(self, since: date) -> ReviewHistory:
        """Grades per day, each card's first day, and the grades from `since` on (undone ones left out)."""
        with self._read() as db:
            return review_history(db, since)

    def lab_attempts(self, slug: str | None = None) -> list[LabAttemptRecord]:
        """Lab attempts, oldest first; only those of `slug` when given."""
        with self._read() as db:
            return lab_attempts(db, slug)

    def lab_events(self, slug: str | None = None) -> list[LabEventRecord]:
        """Lab events, oldest first; only those of `slug` when given."""
        with self._read() as db:
            return lab_events(db, slug)

    def lab_reviews(self, slug: str | None = None) -> list[LabReviewRecord]:
        """Graded lab rounds, oldest first; only those of `slug` when given."""
        with self._read() as db:
            return lab_reviews(db, slug)

    def lab_states(self) -> list[LabStateRecord]:
        """The schedule of every lab whose own file has passed, by slug."""
        with self._read() as db:
            return lab_states(db)

    def lab_state(self, slug: str) -> LabStateRecord | None:
        """One lab's schedule, or None while its own file has never passed."""
        with self._read() as db:
            return lab_state(db, slug)

    def due_labs(self, today: date) -> list[tuple[str, date]]:
        """(slug, due day) of the labs due on or before `today`, most overdue first."""
        with self._read() as db:
            return due_labs(db, today)

    def lab_round(self, slug: str) -> int:
        """The lab's current round (0 before its first re-solve)."""
        with self._read() as db:
            return lab_round(db, slug)


class Snapshot(Reader):
    """progress.db read through sqlite3 alone, for figures before the Store is open. It never writes.

    Each read sees the latest committed data (autocommit). `open` gives None where only the Store can say
    what to do: another schema version, or not a database.
    """

    def __init__(self, con: sqlite3.Connection, path: Path) -> None:
        self._con = con
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Snapshot | EmptySnapshot | None:
        """A snapshot of the database at `path`; an EmptySnapshot when there is no file yet; None otherwise
        (see the class)."""
        if not path.exists():
            return EmptySnapshot()
        try:
            con = _connect(path, SNAPSHOT_TIMEOUT_S)
            if con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return cls(con, path)
            con.close()
        except sqlite3.Error:
            pass
        return None

    def close(self) -> None:
        """Release the connection."""
        self._con.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        yield self._con


class EmptySnapshot(Reader):
    """What a progress.db that does not exist yet reads as: nothing graded, no lab tried (the first start,
    until the Store creates the file)."""

    def schema_version(self) -> int:
        """The version the Store will create."""
        return SCHEMA_VERSION

    def card_state(self, card_id: int) -> None:
        """Every card is new."""
        return None

    def card_states(self, card_ids: Iterable[int] | None = None) -> list[CardStateRecord]:
        """No card has a state."""
        return []

    def due_cards(self, today: date) -> list[tuple[int, date]]:
        """Nothing is due."""
        return []

    def new_card_ids(self, deck_ids: Sequence[int], limit: int, today: date) -> list[int]:
        """Every card is new: the first `limit`."""
        return list(deck_ids[:limit])

    def held_card_ids(self, today: date) -> set[int]:
        """No card is held."""
        return set()

    def card_flags(self, card_id: int | None = None) -> list[CardFlagRecord]:
        """No card is suspended or buried."""
        return []

    def review_logs(
        self,
        since_day: date | None = None,
        day: date | None = None,
        include_undone: bool = False,
        card_id: int | None = None,
    ) -> list[ReviewLogRecord]:
        """No grade yet."""
        return []

    def review_history(self, since: date) -> ReviewHistory:
        """No grade yet."""
        return ReviewHistory(per_day={}, first_day={}, recent=[])

    def lab_attempts(self, slug: str | None = None) -> list[LabAttemptRecord]:
        """No lab tried yet."""
        return []

    def lab_events(self, slug: str | None = None) -> list[LabEventRecord]:
        """Nothing done on a lab yet."""
        return []

    def lab_reviews(self, slug: str | None = None) -> list[LabReviewRecord]:
        """No lab round graded yet."""
        return []

    def lab_states(self) -> list[LabStateRecord]:
        """No lab on the schedule yet."""
        return []

    def lab_state(self, slug: str) -> None:
        """No lab on the schedule yet."""
        return None

    def due_labs(self, today: date) -> list[tuple[str, date]]:
        """No lab is due."""
        return []

    def lab_round(self, slug: str) -> int:
        """Every lab is in its first round."""
        return 0

    def close(self) -> None:
        """Nothing to release."""
