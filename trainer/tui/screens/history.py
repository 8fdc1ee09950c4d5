"""One card's history, from the browser: every grade with its day and time, the interval and EF it led to."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from trainer.deck import Card
from trainer.tui.widgets.grade_bar import GRADES
from trainer.tui.widgets.title_bar import TitleBar

GRADE_STYLES = {"fail": "red", "hard": "yellow", "pass": "green"}


def grade_cell(quality: int) -> Text:
    """The grade with its meaning, coloured like the review's grade bar."""
    _, meaning, kind = GRADES[quality]
    return Text(f"{quality} {meaning}", style=GRADE_STYLES[kind])


class HistoryScreen(Screen[None]):
    """A summary of the card's schedule, then one row per grade, oldest first."""

    CSS_PATH = "history.tcss"
    BINDINGS = [
        Binding("o", "open_card", "card", id="history.card", tooltip="Show the card itself"),
        Binding("escape", "back", "back", id="history.back", tooltip="Back to the browser"),
    ]

    def __init__(self, card: Card) -> None:
        super().__init__()
        self.card = card

    def compose(self) -> ComposeResult:
        """Title bar, summary, table, footer."""
        yield TitleBar()
        yield Static(id="history-summary")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the rows."""
        table = self.query_one(DataTable)
        for name in ("day", "UTC", "grade", "interval", "EF", "note"):
            table.add_column(name, key=name)
        self.refresh_data()

    def refresh_data(self) -> None:
        """Read the card's grades and state again."""
        backend = self.app.backend
        logs = backend.card_history(self.card.id)
        row = next((r for r in backend.card_rows() if r.card.id == self.card.id), None)
        title = f"[b]{self.card.id}. {self.card.title(backend.lang)}[/b]"
        if row is None or row.easiness is None:
            state = "new: never graded"
        else:
            state = f"EF {row.easiness:.2f} · interval {row.interval} d · due {row.due} · {row.lapses} lapse(s)"
        if row is not None and (row.suspended or row.buried):
            state += " · [magenta]suspended[/]" if row.suspended else " · [blue]buried today[/]"
        self.query_one("#history-summary", Static).update(f"{title}\n{state} · {len(logs)} grade(s)")
        table = self.query_one(DataTable)
        table.clear()
        for log in logs:
            note = "repeat: no change" if log.is_repeat else ("first review" if log.before is None else "")
            table.add_row(
                log.day.isoformat(),
                log.reviewed_at.strftime("%H:%M"),
                grade_cell(log.quality),
                f"{log.after.interval} d",
                f"{log.after.easiness:.2f}",
                Text(note, style="dim"),
            )
        if not logs:
            table.add_row("", "", Text("no grade yet", style="dim"), "", "", "")

    def action_open_card(self) -> None:
        """Open the card."""
        self.app.open_card(self.card)

    def action_back(self) -> None:
        """Back."""
        self.app.pop_screen()
