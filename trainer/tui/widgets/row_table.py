"""Helpers for the keyed DataTables of the browser and the lab list: refill in place (one column taking the room the
others leave), read the cursor's key."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

MIN_GROW = 12
"""The growing column never gets narrower than this (the table scrolls sideways instead)."""


def _width(cell: object) -> int:
    return cell_len(cell.plain if isinstance(cell, Text) else str(cell))


def refill(
    table: DataTable,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[Sequence[object], str]],
    grow: str,
) -> None:
    """Replace the columns (label, key) and the rows (cells, key): each column as wide as its content, except `grow`,
    which takes the rest of the table's width. The cursor stays on the same line (or the last one)."""
    cursor = table.cursor_row
    widths = {key: max([_width(label), *(_width(cells[i]) for cells, _ in rows)]) for i, (label, key) in enumerate(columns)}
    padding = 2 * table.cell_padding
    room = table.size.width - table.styles.scrollbar_size_vertical - sum(w + padding for k, w in widths.items() if k != grow)
    widths[grow] = max(MIN_GROW, room - padding)
    table.clear(columns=True)
    for label, key in columns:
        table.add_column(label, key=key, width=widths[key])
    for cells, key in rows:
        table.add_row(*cells, key=key)
    table.move_cursor(row=min(cursor, max(0, table.row_count - 1)))


def cursor_key(table: DataTable) -> str | None:
    """The key of the row under the cursor; None when the table is empty."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
