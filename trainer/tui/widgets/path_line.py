"""One line naming a file, shortened from the left to fit (`file: …/workspace/kv_cache.py`), never wrapped."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual.widget import Widget


def short_path(path: Path, width: int) -> str:
    """`path` with the home folder as `~`, its start replaced by `…` when it is wider than `width` cells."""
    text = str(path)
    home = str(Path.home())
    if text.startswith(home + "/"):
        text = "~" + text[len(home) :]
    if cell_len(text) <= width:
        return text
    parts = text.split("/")
    for start in range(1, len(parts)):  # drop whole folders first: `…/workspace/kv_cache.py`
        tail = "…/" + "/".join(parts[start:])
        if cell_len(tail) <= width:
            return tail
    tail = parts[-1]
    while tail and cell_len(tail) > width - 1:
        tail = tail[1:]
    return "…" + tail


class PathLine(Widget):
    """`label` then a path, or a note when there is no path (`file: not started, press s`)."""

    DEFAULT_CSS = """
    PathLine { height: 1; width: 1fr; color: $text-muted; }
    """

    def __init__(self, label: str, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.label = label
        self.path: Path | None = None
        self.note = ""

    def show(self, path: Path | None, note: str = "") -> None:
        """Name `path`, or say `note` when it is None."""
        self.path, self.note = path, note
        self.refresh()

    def render(self) -> str:
        """The label and the path as it fits the current width."""
        if self.path is None:
            return f"{self.label} {self.note}"
        return f"{self.label} {short_path(self.path, max(4, self.content_size.width - cell_len(self.label) - 1))}"
