"""The card browser: every card with its easiness, interval, due day, lapses and lab status."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from trainer.tui.backend import CardRow
from trainer.tui.widgets.row_table import cursor_key, refill
from trainer.tui.widgets.title_bar import TitleBar

LAB_STYLES = {"passed": "green", "tried": "red", "to do": "yellow", "n/a": "dim"}
COLUMNS = [("#", "id"), ("title", "title"), ("EF", "EF"), ("interval", "interval"), ("due", "due"),
           ("lapses", "lapses"), ("lab", "lab")]  # fmt: skip


def due_cell(row: CardRow, today: date) -> Text:
    """The due day, yellow when due now."""
    if row.due is None:
        return Text("new", style="bold")
    return Text(row.due.isoformat(), style="yellow" if row.due <= today else "")


class BrowserScreen(Screen[None]):
    """A table of all cards; enter opens one."""

    CSS_PATH = "browser.tcss"
    BINDINGS = [
        Binding("enter", "open_card", "open", id="browser.open", tooltip="Show the selected card"),
        Binding("z", "toggle_lang", "zh/en", id="browser.lang", tooltip="Switch the title language"),
        Binding("escape", "back", "back", id="browser.back", tooltip="Back to the dashboard"),
    ]

    def compose(self) -> ComposeResult:
        """Title bar, table, footer."""
        yield TitleBar()
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_screen_resume(self) -> None:
        """Draw the rows when first shown, and again on return: states change while a card or lab is open."""
        self.refresh_data()

    def on_resize(self) -> None:
        """The title column takes the width the others leave."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Rebuild the rows, keeping the cursor."""
        backend = self.app.backend
        today = backend.today()
        rows = [(self._cells(row, today), str(row.card.id)) for row in backend.card_rows()]
        refill(self.query_one(DataTable), COLUMNS, rows, grow="title")

    def _cells(self, row: CardRow, today: date) -> tuple[object, ...]:
        """One card's line: id, title, EF, interval, due, lapses, lab status (the schedule `?` when offline)."""
        title = row.card.title(self.app.backend.lang)
        lab = Text(row.lab_status, style=LAB_STYLES.get(row.lab_status, ""))
        if self.app.backend.offline:
            return (Text(str(row.card.id), justify="right"), title, "?", "?", "?", "?", lab)
        return (
            Text(str(row.card.id), justify="right"),
            title,
            "-" if row.easiness is None else f"{row.easiness:.2f}",
            "-" if row.interval is None else f"{row.interval}d",
            due_cell(row, today),
            Text(str(row.lapses), style="red" if row.lapses else ""),
            lab,
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens the card."""
        self._open(int(event.row_key.value))

    def action_open_card(self) -> None:
        """Open the card under the cursor."""
        key = cursor_key(self.query_one(DataTable))
        if key is not None:
            self._open(int(key))

    def _open(self, card_id: int) -> None:
        from trainer.tui.screens.card import CardScreen

        card = self.app.backend.deck.by_id(card_id)
        if card is not None:
            self.app.open_screen(CardScreen(card))

    def action_toggle_lang(self) -> None:
        """Switch the title language."""
        self.app.switch_language()
        self.refresh_data()

    def action_back(self) -> None:
        """Back to the dashboard."""
        self.app.pop_screen()
