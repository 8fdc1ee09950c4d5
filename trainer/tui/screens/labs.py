"""The twenty labs: which exist yet, which are passed; enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from trainer.tui.backend import CardRow
from trainer.tui.labels import LAB_STYLES
from trainer.tui.widgets.row_table import cursor_key, refill
from trainer.tui.widgets.title_bar import TitleBar


COLUMNS = [("#", "card"), ("lab", "slug"), ("title", "title"), ("status", "status")]


class LabsScreen(Screen[None]):
    """A table of labs in card order."""

    CSS_PATH = "labs.tcss"
    BINDINGS = [
        Binding("enter", "open_lab", "open", id="labs.open", tooltip="Open the selected lab"),
        Binding("z", "toggle_lang", "zh/en", id="labs.lang", tooltip="Switch the title language"),
        Binding("escape", "back", "back", id="labs.back", tooltip="Back"),
    ]

    def compose(self) -> ComposeResult:
        """Title bar, progress line, table, footer."""
        yield TitleBar()
        yield Static(id="labs-summary")
        yield DataTable(id="labs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_screen_resume(self) -> None:
        """Draw the rows when first shown, and again on return: a check may have passed a lab."""
        self.refresh_data()

    def on_resize(self) -> None:
        """The title column takes the width the others leave."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Rebuild the rows, keeping the cursor."""
        backend = self.app.backend
        rows = backend.card_rows()
        refill(self.query_one(DataTable), COLUMNS, [(self._cells(row), row.card.lab) for row in rows], grow="title")
        passed = sum(r.lab_status == "passed" for r in rows)
        ready = sum(r.lab_status != "n/a" for r in rows)
        done = "[red]progress unknown[/] (no database)" if backend.offline else f"[green]{passed} passed[/]"
        self.query_one("#labs-summary", Static).update(
            f" {done} of {len(backend.lab_slugs())} · {ready} available so far · enter opens a lab"
        )

    def _cells(self, row: CardRow) -> tuple[object, ...]:
        """One lab's line: card number, slug, title, status."""
        status = {"n/a": "not yet available"}.get(row.lab_status, row.lab_status)
        return (
            Text(str(row.card.id), justify="right"),
            row.card.lab,
            row.card.title(self.app.backend.lang),
            Text(status, style=LAB_STYLES.get(row.lab_status, "")),
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens the lab."""
        self._open(str(event.row_key.value))

    def action_open_lab(self) -> None:
        """Open the lab under the cursor."""
        key = cursor_key(self.query_one(DataTable))
        if key is not None:
            self._open(key)

    def _open(self, slug: str) -> None:
        self.app.open_lab(slug)

    def action_toggle_lang(self) -> None:
        """Switch the title language (remembered for the next start)."""
        self.app.switch_language()
        self.refresh_data()

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
