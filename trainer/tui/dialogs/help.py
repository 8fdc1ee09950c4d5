"""Help: the keys of the screen underneath, with what each does."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    """A modal table of key, action and tooltip; any of escape, ? or q closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "close", id="help.close", tooltip="Close the help"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        """Title and a key table."""
        with Vertical(id="help-box"):
            yield Static(f"[b]Keys: {type(self.under).__name__.removesuffix('Screen')}[/b]", id="help-title")
            yield DataTable(id="help-keys", cursor_type="none", show_cursor=False)
            yield Static("escape closes this help · ? opens it anywhere", classes="muted")

    def on_mount(self) -> None:
        """List the bindings of the screen below, then the app's."""
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "what it does")
        seen: set[str] = set()
        for binding in [*self.under.BINDINGS, *self.app.BINDINGS]:
            if not isinstance(binding, Binding) or binding.key in seen:
                continue
            seen.add(binding.key)
            key = self.app.get_key_display(binding)
            table.add_row(key, binding.description, binding.tooltip)

    async def action_dismiss(self, result: None = None) -> None:
        """Close."""
        self.dismiss(result)
