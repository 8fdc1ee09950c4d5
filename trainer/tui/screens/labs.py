"""The twenty labs: which exist yet, where each stands, when each is due again; enter opens one."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from trainer.deck import Card
from trainer.lab_review import LabProgress, progress_line
from trainer.tui.labels import lab_status_style
from trainer.tui.widgets.row_table import cursor_key, refill
from trainer.tui.widgets.title_bar import TitleBar

COLUMNS = [("#", "card"), ("lab", "slug"), ("title", "title"), ("status", "status"), ("next review", "next")]


class LabsScreen(Screen[None]):
    """A table of labs in card order, and the progress of the lab under the cursor."""

    CSS_PATH = "labs.tcss"
    BINDINGS = [
        Binding("enter", "open_lab", "open", id="labs.open", tooltip="Open the selected lab"),
        Binding("z", "toggle_lang", "zh/en", id="labs.lang", tooltip="Switch the title language"),
        Binding("escape", "back", "back", id="labs.back", tooltip="Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.progress: dict[str, LabProgress] = {}

    def compose(self) -> ComposeResult:
        """Title bar, progress line, table, the highlighted lab's progress, footer."""
        yield TitleBar()
        yield Static(id="labs-summary")
        yield DataTable(id="labs", cursor_type="row", zebra_stripes=True)
        yield Static(id="lab-progress")
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
        self.progress = backend.lab_progress()
        available = {card.lab: backend.lab_available(card.lab) for card in backend.deck.cards}
        rows = [(self._cells(card, available[card.lab]), card.lab) for card in backend.deck.cards]
        table = self.query_one(DataTable)
        refill(table, COLUMNS, rows, grow="title")
        solved = sum(p.rounds > 0 for p in self.progress.values())
        due = sum(p.due_now for p in self.progress.values())
        done = "[red]progress unknown[/] (no database)" if backend.offline else f"[green]{solved} solved[/]"
        due_text = f" · [b yellow]{due} due for review[/]" if due else ""
        self.query_one("#labs-summary", Static).update(
            f" {done} of {len(backend.lab_slugs())}{due_text} · {sum(available.values())} available so far · "
            "enter opens a lab"
        )
        self._show_progress(cursor_key(table))

    def _cells(self, card: Card, available: bool) -> tuple[object, ...]:
        """One lab's line: card number, slug, title, status, next review."""
        progress = self.progress.get(card.lab)
        status = "not yet available" if not available else progress.status if progress else "never tried"
        due = progress.due if progress else None
        next_review = Text("due now", style="bold yellow") if progress and progress.due_now else (
            due.isoformat() if due else "")  # fmt: skip
        return (
            Text(str(card.id), justify="right"),
            card.lab,
            card.title(self.app.backend.lang),
            Text(status, style="dim" if not available else lab_status_style(status)),
            next_review,
        )

    def _show_progress(self, slug: str | None) -> None:
        """The highlighted lab's progress in a line under the table."""
        progress = self.progress.get(slug or "")
        line = "" if progress is None else f" [b]{escape(progress.slug)}[/b]: {escape(progress_line(progress))}"
        self.query_one("#lab-progress", Static).update(line)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Moving the cursor shows that lab's progress."""
        self._show_progress(str(event.row_key.value))

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
