"""The results of a lab check: a line per test as it finishes, then, once it is over, the failures first (the one to
fix first on top, named mistakes before bare numbers), each with its message, and the passes below."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from trainer.labs.results import failures, message_lines

if TYPE_CHECKING:  # trainer.labs.results is light, but the screen only needs the types
    from trainer.labs.results import CheckResult, TestResult

MARKS = {"passed": ("✓", "passed"), "failed": ("✗", "failed"), "error": ("✗", "failed"), "skipped": ("-", "skipped"),
         "not_run": ("·", "skipped")}  # fmt: skip
_PARAMS = re.compile(r"^(?P<name>[^\[]*)(?P<params>\[.*\])?$")


def readable(name: str) -> str:
    """A test name as words, so that it wraps: `test_grads_match[W_v]` -> `grads match [W_v]` (parameters kept)."""
    match = _PARAMS.match(name)
    words = (match["name"] if match else name).removeprefix("test_").replace("_", " ")
    params = match["params"] if match and match["params"] else ""
    return f"{words} {params}" if params else words


class TestResults(VerticalScroll):
    """Scrollable results: `add` one test while a check runs, `show` a finished check, `clear` to start over;
    the `-stale` class dims them once the file has changed."""

    __test__ = False  # not a pytest class
    DEFAULT_CSS = """
    TestResults { height: 1fr; }
    TestResults > .passed { color: $success; }
    TestResults > .failed { color: $error; }
    TestResults > .skipped { color: $warning; }
    TestResults > .message { color: $foreground 80%; padding-left: 2; }
    TestResults > .heading { text-style: bold; color: $accent; }
    TestResults.-stale > * { color: $text-muted; }
    """

    def add(self, test: TestResult, seconds: bool = True) -> None:
        """One finished test at the end (the view follows it); a failure with its message."""
        self.mount_all(self._lines(test, seconds))
        self.scroll_end(animate=False)

    def show(self, result: CheckResult) -> None:
        """A finished check, from the top: the failure to fix first, the other failures, then the rest."""
        self.remove_children()
        bad = failures(result.tests)
        lines: list[Static] = []
        if result.import_error:
            lines.append(Static(f"✗ importing your file: none of the {result.total} tests could run", classes="result failed"))
            lines += self._message(result.import_error)
        elif bad:
            lines.append(Static("First to fix", classes="heading"))
            for index, test in enumerate(bad):
                if index == 1:
                    lines.append(Static("Also failing", classes="heading"))
                lines += self._lines(test, seconds=False)
            rest = [t for t in result.tests if t.outcome not in ("failed", "error")]
            if rest:
                lines.append(Static("The others", classes="heading"))
                lines += [line for test in rest for line in self._lines(test, seconds=False)]
        else:
            lines += [line for test in result.tests for line in self._lines(test, seconds=False)]
        self.mount_all(lines)
        self.scroll_home(animate=False)

    def _lines(self, test: TestResult, seconds: bool) -> list[Static]:
        mark, kind = MARKS.get(test.outcome, ("?", "failed"))
        line = Text(f"{mark} {readable(test.name)}")
        if seconds:
            line.append(f"  {test.seconds:.2f}s")
        lines = [Static(line, classes=f"result {kind}")]
        if kind == "failed":
            lines += self._message(test.message)
        return lines

    @staticmethod
    def _message(message: str) -> Iterable[Static]:
        shown = message_lines(message)
        return [Static(Text("\n".join(shown)), classes="result message")] if shown else []

    def clear(self) -> None:
        """Remove every line."""
        self.remove_children()
        self.remove_class("-stale")

    @property
    def count(self) -> int:
        """How many test lines are shown."""
        return len(self.query(".result").exclude(".message"))
