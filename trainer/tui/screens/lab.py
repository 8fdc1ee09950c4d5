"""One lab: README, start, edit in $EDITOR, check with live results, hints, reset and solution."""

from __future__ import annotations

import os
import shlex
import subprocess
from contextlib import aclosing

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, ProgressBar, Static
from textual.worker import Worker, WorkerState

from trainer.labs.registry import Lab
from trainer.paths import cannot_write
from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.widgets.test_results import TestResults
from trainer.tui.widgets.title_bar import TitleBar

VERDICT_STYLES = {"passed": "green", "failed": "red", "error": "red", "timeout": "red", "oom": "red", "crashed": "red"}


class LabScreen(Screen[None]):
    """The README on the left, the check's progress and results on the right."""

    CSS_PATH = "lab.tcss"
    BINDINGS = [
        Binding("s", "start", "start", id="lab.start", tooltip="Copy the starter file into your workspace"),
        Binding("e", "edit", "edit", id="lab.edit", tooltip="Open your workspace file in $EDITOR"),
        Binding("c", "check", "check/cancel", id="lab.check", tooltip="Run the autograder (again: cancel it)"),
        Binding("h", "hint", "hint", id="lab.hint", tooltip="Show the next hint"),
        Binding("x", "reset", "reset", id="lab.reset", tooltip="Start over from the starter file (asks first)"),
        Binding("v", "solution", "solution", id="lab.solution", tooltip="Show the model solution (asks first)"),
        Binding("escape", "back", "back", id="lab.back", tooltip="Back"),
    ]

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug
        self.lab: Lab | None = None
        self.hints_shown = 0
        self.shown_tests: set[str] = set()
        self.check_worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        """README pane and side panel."""
        yield TitleBar()
        yield Static(id="lab-title")
        with Horizontal(id="lab-body"):
            with VerticalScroll(id="readme-pane"):
                yield Markdown(id="readme")
                yield Markdown(id="hints")
            with Vertical(id="side"):
                yield Static(id="workspace", classes="muted")
                yield ProgressBar(total=1, id="progress", show_eta=False)
                yield Static("press [b]c[/b] to check your file", id="verdict")
                yield TestResults(id="results")
        yield Footer()

    async def on_mount(self) -> None:
        """Load the lab, or say it is not written yet."""
        backend = self.app.backend
        self.lab = backend.find_lab(self.slug)
        card = backend.card_for_lab(self.slug)
        title = card.title(backend.lang) if card else self.slug
        self.query_one("#lab-title", Static).update(f" [b]Lab {card.id if card else '?'}: {self.slug}[/b] · {title}")
        if self.lab is None:
            self.add_class("-missing")
            await self.query_one("#readme", Markdown).update(
                f"# {self.slug}\n\nThis lab is **not yet available**. Its card is still worth reviewing; "
                "the lab will appear here once it is written."
            )
            self.query_one("#verdict", Static).update("[yellow]not yet available[/]")
            return
        readme = self.lab.readme
        text = readme.read_text(encoding="utf-8") if readme.is_file() else f"# {self.lab.title_en}\n\n(README.md missing)"
        await self.query_one("#readme", Markdown).update(text)
        self._show_workspace()

    def _show_workspace(self) -> None:
        path = self.app.backend.workspace_file(self.slug)
        text = f"workspace: {path}" if path.exists() else "workspace: not started, press [b]s[/b]"
        self.query_one("#workspace", Static).update(text)

    def _needs_lab(self) -> bool:
        if self.lab is None:
            self.notify(f"Lab {self.slug} is not yet available.", severity="warning")
            return False
        return True

    def action_start(self) -> None:
        """Copy the starter file into the workspace (an existing file is kept)."""
        if not self._needs_lab():
            return
        try:
            path, created = self.app.backend.start_lab(self.slug)
        except OSError as exc:
            self._cannot_write(exc)
            return
        self.notify(f"{'Created' if created else 'Already started:'} {path}", timeout=4)
        self._show_workspace()

    def _cannot_write(self, exc: OSError) -> None:
        """Say which file could not be written and what to do; the screen stays usable."""
        self.notify(cannot_write(exc), title="Cannot write", severity="error", timeout=10)

    def action_edit(self) -> None:
        """Suspend the TUI and open the workspace file in $VISUAL / $EDITOR."""
        if not self._needs_lab():
            return
        path = self.app.backend.workspace_file(self.slug)
        if not path.exists():
            try:
                self.app.backend.start_lab(self.slug)
            except OSError as exc:
                self._cannot_write(exc)
                return
            self._show_workspace()
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), str(path)])
        except Exception as exc:  # SuspendNotSupported (headless, web) or a missing editor
            self.notify(f"Cannot open an editor here ({exc.__class__.__name__}): edit {path} yourself.", severity="warning")

    def action_check(self) -> None:
        """Run the grader; pressing again while it runs cancels it (the test process is killed)."""
        if not self._needs_lab():
            return
        if self.check_worker is not None and self.check_worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            self.check_worker.cancel()
            self.query_one("#verdict", Static).update("[yellow]check cancelled[/]")
            return
        path = self.app.backend.workspace_file(self.slug)
        if not path.exists():
            self.notify("Start the lab first (s), then edit your file (e).", severity="warning")
            return
        results = self.query_one(TestResults)
        results.clear()
        self.shown_tests.clear()
        progress = self.query_one(ProgressBar)
        progress.update(total=None, progress=0)
        self.query_one("#verdict", Static).update("checking… (c again cancels)")
        self.check_worker = self.run_check(path)

    @work(exclusive=True, group="check", name="lab check")
    async def run_check(self, path) -> None:  # noqa: ANN001 - a Path
        """Consume the grader's event stream; each finished test appears at once."""
        backend = self.app.backend
        results = self.query_one(TestResults)
        progress = self.query_one(ProgressBar)
        verdict = self.query_one("#verdict", Static)
        async with aclosing(backend.stream_check(self.slug, path)) as stream:
            async for item in stream:
                kind = getattr(item, "kind", None)
                if kind == "session":
                    progress.update(total=max(1, item.total), progress=0)
                    verdict.update(f"checking on {item.device}: {item.total} tests")
                elif kind == "started":
                    verdict.update(f"running {item.index}/{item.total}: {item.name}")
                elif kind == "finished" and item.result is not None:
                    r = item.result
                    results.add(r.name, r.outcome, r.message, r.seconds)
                    self.shown_tests.add(r.nodeid)
                    progress.advance(1)
                elif kind is None:
                    self._show_verdict(item)
                    if await self.app.wait_for_store():
                        backend.record_attempt(item)

    def _show_verdict(self, result) -> None:  # noqa: ANN001 - a CheckResult
        """The final line: pass in green, anything else in red with its reason."""
        results = self.query_one(TestResults)
        for test in result.tests:
            if test.nodeid not in self.shown_tests:
                results.add(test.name, test.outcome, test.message, None)
        style = VERDICT_STYLES.get(result.outcome, "red")
        line = f"[{style}][b]{result.outcome.upper()}[/b][/] {result.passed}/{result.total} passed in {result.seconds:.1f}s"
        if result.message:
            line += f"\n{result.message}"
        self.query_one("#verdict", Static).update(line)
        progress = self.query_one(ProgressBar)
        progress.update(total=max(1, result.total), progress=result.total)

    def action_hint(self) -> None:
        """Show one more hint."""
        if not self._needs_lab():
            return
        hints = self.lab.hints()
        if not hints:
            self.notify("This lab has no hints.", timeout=2)
            return
        if self.hints_shown >= len(hints):
            self.notify("That was the last hint.", timeout=2)
        try:
            self.hints_shown = self.app.backend.next_hint(self.lab)
        except OSError as exc:  # the hint is still shown; only the count is not remembered
            self._cannot_write(exc)
            self.hints_shown = min(self.hints_shown + 1, len(hints))
        body = "\n\n".join(f"### Hint {i + 1}\n\n{h}" for i, h in enumerate(hints[: self.hints_shown]))
        self.query_one("#hints", Markdown).update(body)
        self.query_one("#readme-pane", VerticalScroll).scroll_end(animate=False)

    @work(group="dialog")
    async def action_reset(self) -> None:
        """Overwrite the workspace file with the starter, after a confirmation."""
        if not self._needs_lab():
            return
        if await self.app.push_screen_wait(ConfirmScreen(f"Reset {self.slug}? Your workspace file is replaced by the starter.", "Reset")):
            try:
                path = self.app.backend.reset_lab(self.slug)
            except OSError as exc:
                self._cannot_write(exc)
                return
            self.notify(f"Reset {path}")
            self._show_workspace()

    @work(group="dialog")
    async def action_solution(self) -> None:
        """Show the model solution in place of the README, after a confirmation."""
        if not self._needs_lab():
            return
        if await self.app.push_screen_wait(ConfirmScreen("Show the model solution? Try the hints (h) first.", "Show")):
            code = self.lab.solution.read_text(encoding="utf-8")
            await self.query_one("#readme", Markdown).update(f"# Solution: {self.slug}\n\n```python\n{code}\n```")
            self.query_one("#readme-pane", VerticalScroll).scroll_home(animate=False)

    def action_back(self) -> None:
        """Back (a running check is cancelled with the screen)."""
        if self.check_worker is not None:
            self.check_worker.cancel()
        self.app.pop_screen()
