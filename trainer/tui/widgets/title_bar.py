"""A one-line title bar: the app's title and subtitle.

Textual's Header does the same with a clock, an icon and title watchers, and costs ~100 ms of start-up;
this is one Static.
"""

from __future__ import annotations

from textual.widgets import Static


class TitleBar(Static):
    """`trainer — Transformer interview practice`, docked at the top of a screen."""

    DEFAULT_CSS = """
    TitleBar { dock: top; height: 1; width: 100%; background: $panel; color: $foreground; text-align: center; }
    """

    def on_mount(self) -> None:
        """Take the text from the app: its title and subtitle."""
        self.update(f"{self.app.title} — {self.app.sub_title}")
