"""Ask how many more new cards to study today, beyond the daily limit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

MAX_MORE = 100


class MoreNewDialog(ModalScreen[int | None]):
    """A number field: enter answers with it (1 to MAX_MORE), escape with None."""

    CSS_PATH = "more_new.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel", id="more_new.cancel", tooltip="Add no new card")]

    def __init__(self, suggested: int) -> None:
        super().__init__()
        self.suggested = max(1, min(MAX_MORE, suggested))

    def compose(self) -> ComposeResult:
        """Question, number field, a line for errors and keys."""
        with Vertical(id="more-box"):
            yield Static("[b]Study more new cards today[/b]\nHow many, beyond today's limit?", id="more-question")
            yield Input(str(self.suggested), type="integer", id="more-count", max_length=3)
            yield Static("enter adds them · escape cancels", id="more-hint", classes="muted")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the number, or say what is wrong with it."""
        value = event.value.strip()
        if value.isdigit() and 1 <= int(value) <= MAX_MORE:
            self.dismiss(int(value))
        else:
            hint = f"[b red]A whole number from 1 to {MAX_MORE}[/] · escape cancels"
            self.query_one("#more-hint", Static).update(hint)
