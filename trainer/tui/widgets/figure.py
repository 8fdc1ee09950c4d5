"""A boxed dashboard figure: a bold number over its caption, in one widget.

One Static instead of a container and two labels: each node costs style work in the first frame.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class Figure(Static):
    """`value` (bold, in the `tone` colour: a theme variable such as "warning") over `caption` (muted)."""

    DEFAULT_CSS = """
    Figure { width: 1fr; height: 4; border: round $primary 50%; padding: 0 1; text-align: center; }
    """

    def __init__(self, caption: str, tone: str = "", id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.caption = caption
        self.tone = tone
        self.value = ""
        self.show("…")

    def show(self, value: str, caption: str | None = None) -> None:
        """Draw a new value (and caption)."""
        self.value = value
        if caption is not None:
            self.caption = caption
        style = f"bold ${self.tone}" if self.tone else "bold"
        self.update(Content.assemble((value, style), "\n", (self.caption, "$text-muted")))
