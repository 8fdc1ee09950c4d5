"""The six SM-2 grades with their keys and meanings, coloured red (fail), yellow (hard) and green (pass)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Label

GRADES: tuple[tuple[int, str, str], ...] = (
    (0, "blackout", "fail"),
    (1, "wrong but remembered", "fail"),
    (2, "wrong but seemed easy", "fail"),
    (3, "hard", "hard"),
    (4, "hesitated", "pass"),
    (5, "perfect", "pass"),
)


class GradeBar(Grid):
    """Three columns by two rows of `key meaning` labels."""

    DEFAULT_CSS = """
    GradeBar { grid-size: 3 2; grid-gutter: 0 1; height: 2; }
    GradeBar > Label { width: 1fr; }
    GradeBar > .fail { color: $error; }
    GradeBar > .hard { color: $warning; }
    GradeBar > .pass { color: $success; }
    """

    def compose(self) -> ComposeResult:
        """One label per grade."""
        for quality, meaning, kind in GRADES:
            yield Label(f"[b]{quality}[/b] {meaning}", classes=kind, id=f"grade-{quality}")
