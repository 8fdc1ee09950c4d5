"""Helpers for the keyed DataTables of the browser and the lab list: refill in place, read the cursor's key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.widgets import DataTable


def refill(table: DataTable, rows: Iterable[tuple[Sequence[object], str]]) -> None:
    """Replace every row with `rows` (cells, key), keeping the cursor on the same line (or the last one)."""
    cursor = table.cursor_row
    table.clear()
    for cells, key in rows:
        table.add_row(*cells, key=key)
    table.move_cursor(row=min(cursor, max(0, table.row_count - 1)))


def cursor_key(table: DataTable) -> str | None:
    """The key of the row under the cursor; None when the table is empty."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
