"""The card browser: search both languages, filter by tag, suspend and bury, and each card's history a key away."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from trainer.card_search import matches, tag_counts
from trainer.tui.backend import CardRow
from trainer.tui.dialogs.tags import ALL, TagDialog
from trainer.tui.labels import LAB_STYLES
from trainer.tui.widgets.row_table import cursor_key, refill
from trainer.tui.widgets.title_bar import TitleBar

COLUMNS = [("#", "id"), ("title", "title"), ("EF", "EF"), ("interval", "interval"), ("due", "due"),
           ("lapses", "lapses"), ("lab", "lab")]  # fmt: skip


def due_cell(row: CardRow, today: date) -> Text:
    """The due day, yellow when due now; a held card says so instead."""
    if row.suspended:
        return Text("suspended", style="magenta")
    if row.buried:
        return Text("buried", style="blue")
    if row.due is None:
        return Text("new", style="bold")
    return Text(row.due.isoformat(), style="yellow" if row.due <= today else "")


class BrowserScreen(Screen[None]):
    """A table of the cards that match the search and the tag; enter opens one."""

    CSS_PATH = "browser.tcss"
    BINDINGS = [
        Binding("enter", "open_card", "open", id="browser.open", priority=True,
                tooltip="Show the selected card (in the search field: back to the table)"),
        Binding("slash", "search", "search", id="browser.search", tooltip="Search the cards' text, zh and en"),
        Binding("t", "pick_tag", "tag", id="browser.tag", tooltip="Show only the cards with one tag"),
        Binding("s", "suspend", "suspend", id="browser.suspend",
                tooltip="Suspend the card: it leaves every review until you press s again"),
        Binding("b", "bury", "bury", id="browser.bury",
                tooltip="Bury the card: it leaves today's review, back tomorrow"),
        Binding("h", "history", "history", id="browser.history", tooltip="Every grade of the card"),
        Binding("z", "toggle_lang", "zh/en", id="browser.lang", tooltip="Switch the title language"),
        Binding("escape", "back", "back", id="browser.back", tooltip="Leave the search, else back to the dashboard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tag: str | None = None
        """The tag filter; None: every card."""

    def compose(self) -> ComposeResult:
        """Title bar, search field and filter line, table, footer."""
        yield TitleBar()
        with Horizontal(id="browser-filters"):
            yield Input(placeholder="/ search zh and en text", id="search", compact=True)
            yield Static(id="browser-count", classes="muted")
        yield DataTable(id="cards", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """The table has the focus."""
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        """Draw the rows when first shown, and again on return: states change while a card or lab is open."""
        self.refresh_data()

    def on_resize(self) -> None:
        """The title column takes the width the others leave."""
        self.refresh_data()

    def refresh_data(self) -> None:
        """Rebuild the rows that match the search and the tag, keeping the cursor."""
        backend = self.app.backend
        today = backend.today()
        query = self.query_one("#search", Input).value
        rows = backend.card_rows()
        shown = [row for row in rows if matches(row.card, query, self.tag)]
        refill(self.query_one(DataTable), COLUMNS, [(self._cells(row, today), str(row.card.id)) for row in shown],
               grow="title")  # fmt: skip
        held = sum(row.suspended for row in rows), sum(row.buried for row in rows)
        parts = [f"{len(shown)}/{len(rows)} cards", f"tag: {self.tag or 'any'}"]
        parts += [f"{held[0]} suspended"] if held[0] else []
        parts += [f"{held[1]} buried"] if held[1] else []
        self.query_one("#browser-count", Static).update(" · ".join(parts))

    def _cells(self, row: CardRow, today: date) -> tuple[object, ...]:
        """One card's line: id, title, EF, interval, due (or held), lapses, lab status (the schedule `?` offline)."""
        dim = "dim" if row.suspended or row.buried else ""
        number = Text(str(row.card.id), justify="right", style=dim)
        title = Text(row.card.title(self.app.backend.lang), style=dim)
        lab = Text(row.lab_status, style=LAB_STYLES.get(row.lab_status, ""))
        if self.app.backend.offline:
            return (number, title, "?", "?", "?", "?", lab)
        return (
            number,
            title,
            "-" if row.easiness is None else f"{row.easiness:.2f}",
            "-" if row.interval is None else f"{row.interval}d",
            due_cell(row, today),
            Text(str(row.lapses), style="red" if row.lapses else ""),
            lab,
        )

    def _selected(self) -> CardRow | None:
        """The row under the cursor, read fresh from the backend."""
        key = cursor_key(self.query_one(DataTable))
        if key is None:
            return None
        return next((row for row in self.app.backend.card_rows() if row.card.id == int(key)), None)

    # -- search and filter

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter as the search text changes."""
        self.refresh_data()

    def action_search(self) -> None:
        """Put the cursor in the search field."""
        self.query_one("#search", Input).focus()

    def action_pick_tag(self) -> None:
        """Choose the tag filter from the deck's tags."""
        cards = self.app.backend.deck.cards
        self.app.push_screen(TagDialog(tag_counts(cards), len(cards), self.tag or ALL), self._use_tag)

    def _use_tag(self, tag: str | None) -> None:
        if tag is not None:
            self.tag = tag or None
            self.refresh_data()

    # -- actions on the selected card

    async def action_suspend(self) -> None:
        """Suspend the selected card, or release it."""
        await self._hold("suspended", self.app.backend.set_suspended,
                         "released: back in the review when due.",
                         "suspended: out of every review until you press s again.")  # fmt: skip

    async def action_bury(self) -> None:
        """Bury the selected card until tomorrow, or unbury it."""
        await self._hold("buried", self.app.backend.set_buried,
                         "unburied: back in today's review if due.",
                         "buried: out of today's review, back tomorrow.")  # fmt: skip

    async def _hold(self, flag: str, store: Callable[[int, bool], None], released: str, held: str) -> None:
        """Flip the selected card's `flag` ("suspended" or "buried") through `store`, and say what it means."""
        row = self._selected()
        if row is None or not await self.app.wait_for_store():
            return
        was_held = getattr(row, flag)
        store(row.card.id, not was_held)
        self.notify(f"Card {row.card.id} " + (released if was_held else held), timeout=3)
        self.app.data_changed()

    def action_history(self) -> None:
        """Open the selected card's history."""
        row = self._selected()
        if row is not None:
            self.app.open_history(row.card)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row opens the card."""
        self._open(int(event.row_key.value))

    def action_open_card(self) -> None:
        """Open the card under the cursor; from the search field, go back to the table."""
        if self.query_one("#search", Input).has_focus:
            self.query_one(DataTable).focus()
            return
        key = cursor_key(self.query_one(DataTable))
        if key is not None:
            self._open(int(key))

    def _open(self, card_id: int) -> None:
        card = self.app.backend.deck.by_id(card_id)
        if card is not None:
            self.app.open_card(card)

    def action_toggle_lang(self) -> None:
        """Switch the title language."""
        self.app.switch_language()
        self.refresh_data()

    def action_back(self) -> None:
        """Leave the search field; from the table, back to the dashboard."""
        search = self.query_one("#search", Input)
        if search.has_focus:
            self.query_one(DataTable).focus()
        else:
            self.app.pop_screen()
