"""One lab: README, start, edit in $EDITOR, check with live results (and again at each save), hints, reset and
solution."""

from __future__ import annotations

import os
import shlex
import subprocess
from contextlib import aclosing
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, ProgressBar, Static
from textual.widgets._markdown import MarkdownH3
from textual.worker import Worker, WorkerState

from trainer import cjk, lab_review
from trainer.labs.file_watch import Stamp, stamp
from trainer.labs.registry import Lab, LabError
from trainer.labs.results import CheckResult
from trainer.paths import cannot_write
from trainer.tui.dialogs.confirm import ConfirmScreen
from trainer.tui.widgets.path_line import PathLine
from trainer.tui.widgets.test_results import TestResults
from trainer.tui.widgets.title_bar import TitleBar

VERDICT_STYLES = {"passed": "green", "failed": "red", "error": "red", "timeout": "red", "oom": "red", "crashed": "red"}
LAB_ACTIONS = ("start", "edit", "check", "hint", "reset", "solution", "toggle_lang")
"""What needs a written lab: hidden from the footer (and inert) on a lab that is not yet available."""
FILE_POLL = 0.2
"""Seconds between looks at the workspace file: a save (in the app's editor or any other) marks the shown results
stale and checks the file again."""
HINT_WORD = {"en": "Hint", "zh": "提示"}


class LabScreen(Screen[None]):
    """The README on the left, the check's progress and results on the right."""

    CSS_PATH = "lab.tcss"
    BINDINGS = [
        Binding("s", "start", "start", id="lab.start",
                tooltip="Copy the starter file into your workspace; when the lab is due: solve it again from a fresh "
                        "starter"),
        Binding("e", "edit", "edit", id="lab.edit", tooltip="Open your workspace file in $EDITOR"),
        Binding("c", "check", "check", id="lab.check", tooltip="Run the autograder (again while it runs: cancel it)"),
        Binding("h", "hint", "hint", id="lab.hint", tooltip="Show the next hint"),
        Binding("x", "reset", "reset", id="lab.reset", tooltip="Start over from the starter file (asks first)"),
        Binding("v", "solution", "answer", id="lab.solution",
                tooltip="Show the model solution (asks first); again: back to the README"),
        Binding("z", "toggle_lang", "zh/en", id="lab.lang", tooltip="Switch the README and hints language"),
        Binding("escape", "back", "back", id="lab.back", tooltip="Back"),
    ]

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug
        self.lab: Lab | None = None
        self.hints_shown = 0
        self.check_worker: Worker[None] | None = None
        self.showing_solution = False
        self.checked_sha = ""
        """The hash of the file the shown results belong to ("" when none are shown)."""
        self._seen_stamp: Stamp = None
        """The workspace file's stamp at the last look: another one means it was saved."""
        self._checking_sha = ""
        """The hash of the file the running check (if any) is checking."""

    def compose(self) -> ComposeResult:
        """README pane and side panel."""
        yield TitleBar()
        yield Static(id="lab-title")
        with Horizontal(id="lab-body"):
            with VerticalScroll(id="readme-pane"):
                yield Markdown(id="readme")
                yield Markdown(id="hints")
            with Vertical(id="side"):
                yield PathLine("file:", id="workspace")
                yield Static(id="schedule")
                yield ProgressBar(total=1, id="progress", show_eta=False)
                yield Static("press [b]c[/b] to check your file", id="verdict")
                yield Static("[b]stale:[/b] your file changed since this check (c checks again)", id="stale")
                yield TestResults(id="results")
        yield Footer()

    async def on_mount(self) -> None:
        """Load the lab, or say it is not written yet; show the hints already revealed and the last result."""
        backend = self.app.backend
        self.lab = backend.find_lab(self.slug)
        self.refresh_bindings()
        self._draw_title()
        if self.lab is None:
            self.add_class("-missing")
            await self.query_one("#readme", Markdown).update(
                f"# {self.slug}\n\nThis lab is **not yet available**. Its card is still worth reviewing; "
                "the lab will appear here once it is written."
            )
            return
        self.hints_shown = min(backend.hints_shown(self.slug), len(self.lab.hints()))
        await self._draw_texts()
        self._show_workspace()
        self._draw_schedule()
        last = backend.last_results.get(self.slug)
        if last is not None:
            self._show_verdict(last)
        else:
            self._show_last_attempt()
        self._seen_stamp = stamp(backend.workspace_file(self.slug))
        self.set_interval(FILE_POLL, self._look)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A lab that is not yet available offers nothing but `back`."""
        return not (self.lab is None and action in LAB_ACTIONS)

    # -- drawing

    def _draw_title(self) -> None:
        backend = self.app.backend
        card = backend.card_for_lab(self.slug)
        title = escape(card.title(backend.lang)) if card else self.slug
        self.query_one("#lab-title", Static).update(f" [b]Lab {card.id if card else '?'}: {self.slug}[/b] · {title}")

    def _text(self, markdown: str) -> str:
        """Lab text as the current language wants it on screen (Chinese source lines joined without a space)."""
        return cjk.join_lines(markdown) if self.app.backend.lang == "zh" else markdown

    async def _draw_texts(self) -> None:
        """The README (or the solution) and the revealed hints, in the current language."""
        assert self.lab is not None
        lang = self.app.backend.lang
        if self.showing_solution:
            code = self.lab.solution.read_text(encoding="utf-8")
            await self.query_one("#readme", Markdown).update(f"# Solution: {self.slug}\n\n```python\n{code}\n```")
        else:
            await self.query_one("#readme", Markdown).update(self._text(self.lab.readme_text(lang)))
        hints = self.lab.hints(lang)[: self.hints_shown]
        body = "\n\n".join(f"### {HINT_WORD[lang]} {i + 1}\n\n{hint}" for i, hint in enumerate(hints))
        await self.query_one("#hints", Markdown).update(self._text(body))

    def _show_workspace(self) -> None:
        path = self.app.backend.workspace_file(self.slug)
        if path.exists():
            self.query_one("#workspace", PathLine).show(path)
        else:
            self.query_one("#workspace", PathLine).show(None, "not started, press s")

    def _draw_schedule(self) -> None:
        """Where the lab stands on the review schedule: due (and how to review it), under way, or when next."""
        backend = self.app.backend
        state = backend.lab_state(self.slug)
        line = self.query_one("#schedule", Static)
        if state is None:
            line.update("[dim]review: after your first pass[/]")
        elif backend.resolve_due(self.slug) is not None:
            line.update(f"[b yellow]due for review[/] since {state.due.isoformat()}: press [b]s[/b] to solve it "
                        "again from a fresh starter")  # fmt: skip
        elif state.due <= backend.today():
            line.update("[yellow]review under way:[/] the first pass of this fresh start grades it")
        else:
            line.update(f"next review {state.due.isoformat()} [dim](every {state.interval} d)[/]")

    async def _log(self, kind: str, detail: str = "") -> None:
        """Log a lab event once the store is open (a warning when it cannot be saved)."""
        if not await self.app.wait_for_store():
            return
        try:
            self.app.backend.log_lab_event(self.slug, kind, detail)
        except Exception as exc:  # a full or read-only disk: the action itself stands
            self.notify(f"Not logged ({kind}): {exc}", severity="warning")

    def _cannot_write(self, exc: OSError) -> None:
        """Say which file could not be written and what to do; the screen stays usable."""
        self.notify(cannot_write(exc), title="Cannot write", severity="error", timeout=10)

    # -- actions

    @work(group="dialog")
    async def action_start(self) -> None:
        """Copy the starter file into the workspace (an existing file is kept); when the lab is due for review, offer
        to solve it again from a fresh starter (the earlier file archived)."""
        backend = self.app.backend
        if backend.resolve_due(self.slug) is not None:
            await self._resolve()
            return
        try:
            path, created = backend.start_lab(self.slug)
        except OSError as exc:
            self._cannot_write(exc)
            return
        self.notify(f"{'Created' if created else 'Already started:'} {path}", timeout=4)
        self._seen_stamp = stamp(path)  # a fresh starter is not a save to check
        self._show_workspace()
        if created:
            await self._log(lab_review.START)

    async def _resolve(self) -> None:
        """Ask, then start the due lab's review: a fresh starter, the earlier file archived, the hints hidden."""
        question = (f"{self.slug} is due for review. Solve it again from a fresh starter? Your file is archived, "
                    "never lost; the first pass grades the review.")  # fmt: skip
        if not await self.app.push_screen_wait(ConfirmScreen(question, "Start again")):
            return
        if not await self.app.wait_for_store():
            return
        try:
            path, kept = self.app.backend.resolve_lab(self.slug)
        except OSError as exc:
            self._cannot_write(exc)
            return
        self.notify(f"Fresh starter at {path}" + (f"; your earlier file is kept as {kept}" if kept else ""), timeout=8)
        self.app.backend.last_results.pop(self.slug, None)
        self.query_one(TestResults).clear()
        self.query_one("#stale", Static).display = False
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.query_one("#verdict", Static).update("press [b]c[/b] to check your file")
        self.checked_sha = ""
        self.hints_shown = 0
        await self._draw_texts()
        self._show_workspace()
        self._draw_schedule()

    def action_edit(self) -> None:
        """Suspend the TUI and open the workspace file in $VISUAL / $EDITOR."""
        path = self.app.backend.workspace_file(self.slug)
        if not path.exists():
            try:
                self.app.backend.start_lab(self.slug)
            except OSError as exc:
                self._cannot_write(exc)
                return
            self._show_workspace()
            self.run_worker(self._log(lab_review.START), group="log")
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), str(path)])
        except Exception as exc:  # SuspendNotSupported (headless, web) or a missing editor
            self.notify(f"Cannot open an editor here ({exc.__class__.__name__}): edit {path} yourself.", severity="warning")

    def _checking(self) -> bool:
        """Whether a check is running."""
        return self.check_worker is not None and self.check_worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def action_check(self) -> None:
        """Run the grader; pressing again while it runs cancels it (the test process is killed)."""
        if self._checking():
            assert self.check_worker is not None
            self.check_worker.cancel()
            progress = self.query_one(ProgressBar)
            progress.update(total=progress.total or 1, progress=progress.progress)  # a still bar, not a spinning one
            self.query_one("#verdict", Static).update("[yellow]check cancelled[/] (c checks again)")
            return
        path = self.app.backend.workspace_file(self.slug)
        if not path.exists():
            self.notify("Start the lab first (s), then edit your file (e).", severity="warning")
            return
        self._start_check(path, live=True)

    def _start_check(self, path: Path, live: bool) -> None:
        """Check `path` in a worker (one that runs is cancelled). `live`: the results are cleared and each test
        appears as it ends; else the shown ones stay, marked stale, until the verdict replaces them."""
        self._checking_sha = self.app.backend.file_sha256(path)
        if live:
            self.query_one(TestResults).clear()
            self.query_one("#stale", Static).display = False
            self.query_one(TestResults).remove_class("-stale")
            self.checked_sha = ""
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one("#verdict", Static).update("checking… (c again cancels)" if live else
                                                  "saved: checking again… (c cancels)")  # fmt: skip
        self.check_worker = self.run_check(path, live)

    @work(exclusive=True, group="check", name="lab check")
    async def run_check(self, path: Path, live: bool = True) -> None:
        """Consume the grader's event stream; with `live`, each finished test appears at once."""
        backend = self.app.backend
        results = self.query_one(TestResults)
        progress = self.query_one(ProgressBar)
        verdict = self.query_one("#verdict", Static)
        try:
            async with aclosing(backend.stream_check(self.slug, path)) as stream:
                async for item in stream:
                    await self._apply(item, results if live else None, progress, verdict)
        except LabError as exc:  # could not start: cuda without CUDA, the file gone
            progress.update(total=1, progress=0)
            verdict.update(f"[red][b]CANNOT CHECK[/b][/] {escape(str(exc))}")

    async def _apply(self, item: Any, results: TestResults | None, progress: ProgressBar, verdict: Static) -> None:
        """One item of the grader's stream: an event (each finished test added to `results`, when given), or the
        final CheckResult."""
        kind = getattr(item, "kind", None)
        if kind == "session":
            progress.update(total=max(1, item.total), progress=0)
            verdict.update(f"checking on {item.device}: {item.total} tests")
        elif kind == "started":
            verdict.update(f"running {item.index}/{item.total}: {escape(item.name)}")
        elif kind == "import_error":
            verdict.update(f"[red]your file could not be imported:[/] {escape(item.message)}")
        elif kind == "finished" and item.result is not None:
            if results is not None:
                results.add(item.result)
            progress.advance(1)
        elif kind is None:
            self.app.backend.last_results[self.slug] = item
            self._show_verdict(item)
            if await self.app.wait_for_store():
                record = self.app.backend.record_attempt(item)
                self._announce(record)

    def _announce(self, record: Any) -> None:
        """Say what a stored check did to the schedule: the grade its round earned and the next review."""
        review = record.review
        if review is not None:
            reason = lab_review.grade_reason(lab_review.facts_of(review))
            self.notify(f"Grade {review.quality}: {reason}. Next review {review.after.due.isoformat()} "
                        f"(in {review.after.interval} d).", title="On the schedule", timeout=10)  # fmt: skip
        self._draw_schedule()

    def _show_verdict(self, result: CheckResult) -> None:
        """The verdict line and the results, failures first; pass in green, anything else in red with its reason."""
        style = VERDICT_STYLES.get(result.outcome, "red")
        line = (f"[{style}][b]{result.outcome.upper()}[/b][/] {result.passed}/{result.total} passed "
                f"[dim]{result.seconds:.1f}s {result.device}[/]")  # fmt: skip
        message = "your file could not be imported" if result.import_error else result.message
        if message and not message.startswith("every test: "):
            line += f"\n{escape(message)}"
        self.query_one("#verdict", Static).update(line)
        self.query_one(ProgressBar).update(total=max(1, result.total), progress=result.total)
        self.query_one(TestResults).show(result)
        self._belongs_to(result.file_sha256)

    def _belongs_to(self, sha: str) -> None:
        """The shown results are those of the file with this hash: mark them stale at once if it has changed."""
        self.checked_sha = sha
        self._mark_stale()

    def _show_last_attempt(self) -> None:
        """After a restart: the last stored check of this lab, in a line (its tests are not stored)."""
        attempt = self.app.backend.last_attempt(self.slug)
        if attempt is None:
            return
        style = VERDICT_STYLES.get(attempt.outcome, "red")
        total = attempt.passed + attempt.failed + attempt.errors
        when = attempt.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        whose = "" if attempt.own_file else " [yellow](another file: logged, it moves nothing)[/]"
        self.query_one("#verdict", Static).update(
            f"last check {when}: [{style}][b]{attempt.outcome.upper()}[/b][/] {attempt.passed}/{total} passed{whose}"
            "\npress [b]c[/b] to see the tests"
        )
        self._belongs_to(attempt.file_sha256)

    def _mark_stale(self) -> None:
        """Dim the shown results, and say so, while the workspace file differs from the file they belong to."""
        if not self.checked_sha or self.lab is None:
            return
        path = self.app.backend.workspace_file(self.slug)
        stale = self.app.backend.file_sha256(path) != self.checked_sha
        self.query_one(TestResults).set_class(stale, "-stale")
        self.query_one("#stale", Static).display = stale

    def _look(self) -> None:
        """A look at the workspace file: once it was saved, mark the results stale and check it again (a check of
        an older version is stopped); a save that changed nothing checks nothing."""
        if self.lab is None:
            return
        path = self.app.backend.workspace_file(self.slug)
        now = stamp(path)
        if now == self._seen_stamp:
            return
        self._seen_stamp = now
        self._mark_stale()
        if now is None:
            return
        sha = self.app.backend.file_sha256(path)
        if sha == (self._checking_sha if self._checking() else self.checked_sha):
            return
        self._start_check(path, live=not self.checked_sha)

    def action_hint(self) -> None:
        """Show one more hint, and scroll to it."""
        assert self.lab is not None
        hints = self.lab.hints(self.app.backend.lang)
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
        self.run_worker(self._reveal_hint(), group="hint", exclusive=True)
        self.run_worker(self._log(lab_review.HINT, str(self.hints_shown)), group="log")

    async def _reveal_hint(self) -> None:
        """Draw the hints, then bring the newest one to the top of the pane."""
        await self._draw_texts()
        self.call_after_refresh(self._scroll_to_last_hint)

    def _scroll_to_last_hint(self) -> None:
        headings = self.query_one("#hints", Markdown).query(MarkdownH3)
        if headings:
            self.query_one("#readme-pane", VerticalScroll).scroll_to_widget(headings.last(), animate=False, top=True)

    @work(group="dialog")
    async def action_reset(self) -> None:
        """Overwrite the workspace file with the starter, after a confirmation."""
        if await self.app.push_screen_wait(ConfirmScreen(f"Reset {self.slug}? Your workspace file is replaced by the starter.", "Reset")):
            try:
                path, backup = self.app.backend.reset_lab(self.slug)
            except OSError as exc:
                self._cannot_write(exc)
                return
            self.notify(f"Reset {path}")
            self._seen_stamp = stamp(path)  # a fresh starter is not a save to check
            self._mark_stale()
            self._show_workspace()
            await self._log(lab_review.RESET, str(backup or ""))

    @work(group="dialog")
    async def action_solution(self) -> None:
        """Show the model solution in place of the README, full width, after a confirmation; again: the README."""
        if not self.showing_solution and not await self.app.push_screen_wait(
            ConfirmScreen("Show the model solution? Try the hints (h) first.", "Show")
        ):
            return
        self.showing_solution = not self.showing_solution
        self.set_class(self.showing_solution, "-solution")
        await self._draw_texts()
        self.query_one("#readme-pane", VerticalScroll).scroll_home(animate=False)
        if self.showing_solution:
            await self._log(lab_review.SOLUTION)

    async def action_toggle_lang(self) -> None:
        """Switch zh/en (remembered for the next start) and redraw the README, the hints and the title."""
        self.app.switch_language()
        self._draw_title()
        await self._draw_texts()

    def action_back(self) -> None:
        """Back (a running check is cancelled with the screen)."""
        if self.check_worker is not None:
            self.check_worker.cancel()
        self.app.pop_screen()

