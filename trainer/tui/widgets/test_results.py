"""A live list of test outcomes: a line per test as it finishes, failures with their message."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

MARKS = {"passed": ("✓", "passed"), "failed": ("✗", "failed"), "error": ("✗", "failed"), "skipped": ("-", "skipped"), "not_run": ("·", "skipped")}


def readable(name: str) -> str:
    """A test name as words, so that long names wrap: `test_kv_cache_grows` -> `kv cache grows`."""
    return name.removeprefix("test_").replace("_", " ")


class TestResults(VerticalScroll):
    """Scrollable results; `add` appends one test, `clear` starts over."""

    __test__ = False  # not a pytest class
    DEFAULT_CSS = """
    TestResults { height: 1fr; }
    TestResults > .passed { color: $success; }
    TestResults > .failed { color: $error; }
    TestResults > .skipped { color: $warning; }
    TestResults > .message { color: $foreground 70%; padding-left: 2; }
    """

    def add(self, name: str, outcome: str, message: str = "", seconds: float | None = None) -> None:
        """Show one finished test; a failing one with the first lines of its message."""
        mark, kind = MARKS.get(outcome, ("?", "failed"))
        line = Text(f"{mark} {readable(name)}")
        if seconds is not None:
            line.append(f"  {seconds:.2f}s")
        self.mount(Static(line, classes=f"result {kind}"))
        if message and kind != "passed":
            short = "\n".join(message.strip().splitlines()[-6:])
            self.mount(Static(Text(short), classes="result message"))
        self.scroll_end(animate=False)

    def clear(self) -> None:
        """Remove every line."""
        self.remove_children()

    @property
    def count(self) -> int:
        """How many test lines are shown."""
        return len(self.query(".result").exclude(".message"))
