"""Every table of the progress database as plain rows and back: the SQL side of `trainer export` and `import`.

Rows travel as the database stores them (dates 'YYYY-MM-DD', UTC datetimes 'YYYY-MM-DD HH:MM:SS.ffffff',
booleans 0/1), checked column by column against the table's own declared types. A table joins the export with
one line in `TABLES`.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Rows = list[dict[str, Any]]


class RowError(ValueError):
    """Rows that cannot be imported; the message says which table, row and column, and why."""


@dataclass(frozen=True)
class Table:
    """One table that export carries, and how `--merge` tells its records apart."""

    name: str
    key: tuple[str, ...]
    """The columns that make two rows one record: on --merge, a file row whose key is already there is not added."""
    newer: str | None = None
    """For a key on both sides, the row with the later value of this column wins; without it, the home's row stays."""
    serial: str | None = None
    """An id the database numbers itself: rows added by --merge get new ids, then the table is renumbered..."""
    time: str | None = None
    """...in the order of this column, so the latest record keeps the highest id (undo takes back the latest grade)."""


TABLES: tuple[Table, ...] = (
    Table("card_state", key=("card_id",), newer="last_review"),
    Table("card_flag", key=("card_id",)),
    Table("review_log", key=("card_id", "reviewed_at"), serial="id", time="reviewed_at"),
    Table("lab_attempt", key=("slug", "started_at"), serial="id", time="started_at"),
    Table("lab_event", key=("slug", "at", "kind"), serial="id", time="at"),
    Table("lab_state", key=("slug",), newer="last_review"),
    Table("lab_review", key=("slug", "round"), serial="id", time="reviewed_at"),
)
TABLE_NAMES = tuple(t.name for t in TABLES)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?")


@dataclass(frozen=True)
class Column:
    """A column as the database declares it."""

    name: str
    type: str
    not_null: bool
    primary_key: bool


def columns(db: sqlite3.Connection, table: str) -> list[Column]:
    """The columns of `table`, in order."""
    return [Column(r[1], r[2].upper(), bool(r[3]), bool(r[5])) for r in db.execute(f'PRAGMA table_info("{table}")')]


def _quoted(names: Collection[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def dump(db: sqlite3.Connection) -> dict[str, Rows]:
    """Every row of every exported table, in primary-key order."""
    out: dict[str, Rows] = {}
    for table in TABLES:
        cols = columns(db, table.name)
        order = _quoted([c.name for c in cols if c.primary_key])
        cursor = db.execute(f'SELECT {_quoted([c.name for c in cols])} FROM "{table.name}" ORDER BY {order}')
        out[table.name] = [dict(zip([c.name for c in cols], row)) for row in cursor]
    return out


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """Rows in each exported table."""
    return {t.name: db.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in TABLES}


def _value_problem(column: Column, value: object) -> str | None:
    """Why `value` cannot go into `column`, or None when it can."""
    if value is None:
        return "is missing a value" if column.not_null else None
    kind = column.type
    if kind == "BOOLEAN":
        ok = value in (0, 1) and not isinstance(value, float)
    elif kind == "INTEGER":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "FLOAT":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    elif kind == "DATE":
        ok = isinstance(value, str) and bool(_DATE.fullmatch(value)) and _parses(date.fromisoformat, value)
    elif kind == "DATETIME":
        ok = isinstance(value, str) and bool(_DATETIME.fullmatch(value)) and _parses(datetime.fromisoformat, value)
    else:
        ok = isinstance(value, str)
    return None if ok else f"holds {value!r}, not a {kind.lower()}"


def _parses(parse: Any, text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def check(db: sqlite3.Connection, data: Mapping[str, object], known: Mapping[str, Collection[object]]) -> None:
    """Raise RowError unless `data` holds only exported tables, each a list of rows with exactly the table's columns
    and values of their types, and every value of a column named in `known` (e.g. card_id) is among its values."""
    unknown_tables = sorted(set(data) - set(TABLE_NAMES))
    if unknown_tables:
        raise RowError(f"unknown table(s) {', '.join(unknown_tables)}; known: {', '.join(TABLE_NAMES)}")
    strangers: dict[str, set[object]] = {}
    for name, rows in data.items():
        if not isinstance(rows, list):
            raise RowError(f"table {name} is not a list of rows")
        cols = {c.name: c for c in columns(db, name)}
        for number, row in enumerate(rows, 1):
            where = f"table {name}, row {number}"
            if not isinstance(row, dict):
                raise RowError(f"{where} is not an object of column values")
            if set(row) != set(cols):
                missing, extra = sorted(set(cols) - set(row)), sorted(set(row) - set(cols))
                raise RowError(f"{where}: " + "; ".join(
                    part for part in (missing and f"missing column(s) {', '.join(missing)}",
                                      extra and f"unknown column(s) {', '.join(extra)}") if part))
            for column in cols.values():
                problem = _value_problem(column, row[column.name])
                if problem:
                    raise RowError(f"{where}: column {column.name} {problem}")
                if column.name in known and row[column.name] not in known[column.name]:
                    strangers.setdefault(column.name, set()).add(row[column.name])
    if strangers:
        raise RowError("; ".join(f"rows name {column} {', '.join(map(str, sorted(values)))}, unknown here"
                                 for column, values in strangers.items()))


def load(db: sqlite3.Connection, data: Mapping[str, Rows], merge: bool) -> dict[str, int]:
    """Write checked rows (see `check`) into the tables, inside the caller's transaction; rows written per table.

    Without `merge` every row goes in as it is, ids included (the tables are expected empty). With `merge`, rows whose
    key is already there are skipped (or replace the home's row when newer, see `Table`) and each serial table is
    renumbered in time order.
    """
    written: dict[str, int] = {}
    for table in TABLES:
        rows = data.get(table.name, [])
        try:
            written[table.name] = _merge(db, table, rows) if merge else _insert(db, table.name, rows)
        except sqlite3.IntegrityError as exc:
            raise RowError(f"table {table.name}: {exc} (two rows for one record?)") from exc
    return written


def _insert(db: sqlite3.Connection, name: str, rows: Rows, skip: str | None = None) -> int:
    """Insert `rows` (without column `skip`) and return how many."""
    for row in rows:
        names = [n for n in row if n != skip]
        db.execute(f'INSERT INTO "{name}" ({_quoted(names)}) VALUES ({", ".join("?" * len(names))})',
                   [row[n] for n in names])
    return len(rows)


def _merge(db: sqlite3.Connection, table: Table, rows: Rows) -> int:
    """Add the rows whose key is missing, replace older ones where the table says which is newer; count both."""
    newer = table.newer
    newer_sql = f'"{newer}"' if newer else "NULL"
    have: dict[tuple[object, ...], object] = {}
    for row in db.execute(f'SELECT {_quoted(table.key)}, {newer_sql} FROM "{table.name}"'):
        have[tuple(row[:-1])] = row[-1]
    added: Rows = []
    replaced = 0
    for row in rows:
        key = tuple(row[k] for k in table.key)
        if key not in have:
            added.append(row)
            have[key] = row.get(newer) if newer else None
        elif newer and (row[newer] or "") > (have[key] or ""):
            where = " AND ".join(f'"{k}" = ?' for k in table.key)
            db.execute(f'DELETE FROM "{table.name}" WHERE {where}', key)
            _insert(db, table.name, [row], skip=table.serial)
            have[key] = row[newer]
            replaced += 1
    _insert(db, table.name, added, skip=table.serial)
    if added and table.serial and table.time:
        _renumber(db, table)
    return len(added) + replaced


def _renumber(db: sqlite3.Connection, table: Table) -> None:
    """Give the serial ids again, in time order (ties: the older id first)."""
    names = _quoted([c.name for c in columns(db, table.name) if c.name != table.serial])
    db.execute(f'CREATE TEMP TABLE merge_order AS SELECT {names} FROM "{table.name}" '
               f'ORDER BY "{table.time}", "{table.serial}"')
    db.execute(f'DELETE FROM "{table.name}"')
    db.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM temp.merge_order ORDER BY rowid')
    db.execute("DROP TABLE temp.merge_order")
