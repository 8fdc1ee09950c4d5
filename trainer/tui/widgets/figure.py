"""A boxed dashboard figure: a bold number over its caption, or over a progress bar, in one widget.

One widget instead of a container, two labels and a ProgressBar: each node costs style work in the first
frame, and the dashboard's first frame is what `trainer` is timed by.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class Figure(Widget):
    """`value` (bold, in the `tone` colour: a theme variable such as "warning") over `caption` (muted), or over
    a bar of `done` out of `total` when `show` is given them."""

    DEFAULT_CSS = """
    Figure { width: 1fr; height: 4; border: round $primary 50%; padding: 0 1; text-align: center; }
    """

    def __init__(self, caption: str = "", tone: str = "", id: str | None = None) -> None:  # noqa: A002 - Textual's
        super().__init__(id=id)
        self.caption = caption
        self.tone = tone
        self.value = "…"
        self.progress: tuple[int, int] | None = None

    def show(self, value: str, caption: str | None = None, progress: tuple[int, int] | None = None) -> None:
        """Draw a new value, and a new caption or a bar of (done, total)."""
        self.value = value
        if caption is not None:
            self.caption = caption
        self.progress = progress
        self.refresh()

    def render(self) -> Content:
        """The value line, then the caption or the bar (as wide as the box)."""
        value = (self.value, f"bold ${self.tone}" if self.tone else "bold")
        if self.progress is None:
            return Content.assemble(value, "\n", (self.caption, "$text-muted"))
        done, total = self.progress
        width = max(1, self.content_size.width)
        filled = width * done // total if total else 0
        # different glyphs for done and to do, so the bar reads without colour too (NO_COLOR)
        return Content.assemble(value, "\n", ("━" * filled, "$success"), ("╌" * (width - filled), "$text-muted"))
