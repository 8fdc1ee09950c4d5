"""Pick a tag to filter the browser by, or every card."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

ALL = ""
"""What the dialog answers for "every card"."""


class TagDialog(ModalScreen[str | None]):
    """A list of the deck's tags with their card counts; enter picks one (ALL: no filter), escape changes nothing."""

    CSS_PATH = "tags.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel", id="tags.cancel", tooltip="Keep the current filter")]

    def __init__(self, tags: Sequence[tuple[str, int]], total: int, current: str | None) -> None:
        super().__init__()
        self.tags = tags
        self.total = total
        self.current = current

    def compose(self) -> ComposeResult:
        """Title, list, a line of keys."""
        with Vertical(id="tags-box"):
            yield Static("[b]Show the cards tagged[/b]", id="tags-title")
            options = [Option(f"every card ({self.total})", id="tag:")]
            options += [Option(f"{tag} ({n})", id=f"tag:{tag}") for tag, n in self.tags]
            yield OptionList(*options, id="tag-list")
            yield Static("enter picks · escape keeps the filter", classes="muted")

    def on_mount(self) -> None:
        """The current filter is highlighted."""
        names = [ALL, *(tag for tag, _ in self.tags)]
        self.query_one(OptionList).highlighted = names.index(self.current) if self.current in names else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer with the tag picked (ALL for every card)."""
        self.dismiss((event.option.id or "tag:").removeprefix("tag:"))
