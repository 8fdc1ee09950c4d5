"""`trainer lab ...`: list, start, check, hint, reset, solution and demo, thin shells over trainer.labs."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trainer import cjk, lab_review, labs
from trainer.cli.language import LangOption, chosen_language
from trainer.labs import CheckResult, Lab, LabError, TestEvent, TestResult, workspace
from trainer.labs.file_watch import FileWatch
from trainer.labs.results import first_to_fix, headline, message_lines, tidy
from trainer.paths import PROJECT_ROOT, cannot_write

lab_app = typer.Typer(help="Coding labs: start one, check your answer, get hints.", no_args_is_help=True)

_MARK = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("✗", "red"), "skipped": ("-", "yellow"),
         "not_run": ("·", "dim")}  # fmt: skip
_OUTCOME_STYLE = {"passed": "bold green", "failed": "bold red", "error": "bold red", "timeout": "bold yellow",
                  "oom": "bold yellow", "crashed": "bold magenta"}  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the `lab` group to the root app."""
    app.add_typer(lab_app, name="lab")


def _console() -> Console:
    return Console(highlight=False)


def _warn(label: str, message: str) -> None:
    """One logical line on stderr (the terminal wraps it; Rich does not cut it into several)."""
    style = "bold red" if label == "error" else "yellow"
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[{style}]{label}:[/] {escape(message)}")


def _fail(message: str, code: int = 2) -> typer.Exit:
    _warn("error", message)
    return typer.Exit(code)


def _find(slug: str) -> Lab:
    try:
        return labs.find_lab(slug)
    except LabError as exc:
        raise _fail(str(exc)) from None


def _store(problem: str = "your lab progress is not saved") -> Any:
    """The progress database, or None when it cannot be opened (the lab still works without it): a warning that
    starts with `problem`, unless it is empty."""
    from trainer.store import database

    try:
        return database.open_store()
    except database.StoreError as exc:
        if problem:
            _warn("warning", f"{problem}: {exc}")
        return None


def _today() -> date:
    """Today's learning day (the rollover hour of config.toml); one line and exit 2 when the config is bad."""
    from trainer.config import ConfigError

    try:
        return workspace.learning_today()
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _log(slug: str, kind: str, detail: str = "", store: Any = None) -> None:
    """Log a lab event; a database that cannot be written is a warning, never a failure."""
    from trainer.config import ConfigError
    from trainer.store.database import StoreError

    store = store or _store()
    if store is None:
        return
    try:
        workspace.log_event(slug, kind, detail, store=store)
    except (StoreError, ConfigError) as exc:
        _warn("warning", f"not logged ({kind} of {slug}): {exc}")


def _by_slug(records: list[Any]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for record in records:
        grouped[record.slug].append(record)
    return grouped


def _status_style(status: str) -> str:
    if status == "passed":
        return "green"
    if status.startswith("failed"):
        return "yellow" if not status.startswith("failed 0/") else "red"
    return "dim"


def next_review(state: Any, today: date) -> str:
    """A lab's next review as the list shows it: `due now`, its date, or '' while its own file never passed."""
    if state is None:
        return ""
    return "[bold yellow]due now[/]" if state.due <= today else state.due.isoformat()


@lab_app.command("list")
def list_labs(lang: Optional[str] = LangOption) -> None:
    """Every lab with its card, your status (never tried / started / failed n/m / passed / re-solving) and the date of
    its next review."""
    language = chosen_language(lang)
    today = _today()
    store = _store("cannot read lab attempts")
    attempts = _by_slug(store.lab_attempts()) if store else {}
    events = _by_slug(store.lab_events()) if store else {}
    states = {s.slug: s for s in store.lab_states()} if store else {}
    console = _console()
    wide = console.width >= 100  # the level only where the title keeps room to read
    table = Table(title="Labs", title_justify="left", expand=True)
    table.add_column("card", justify="right", no_wrap=True)
    table.add_column("lab", no_wrap=True)
    table.add_column("title", ratio=1)  # wraps rather than being cut
    if wide:
        table.add_column("level", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("next review", no_wrap=True)
    for number, (slug, lab) in enumerate(labs.catalog(), start=1):
        if lab is None:
            table.add_row(str(number), slug, "not yet available", *[""] * (2 + wide), style="dim")
            continue
        status = workspace.attempt_status(attempts.get(slug, []), events.get(slug, []))
        title = lab.title_zh if language == "zh" else lab.title_en
        level = [f"{'★' * lab.difficulty} {lab.minutes} min"] if wide else []
        table.add_row(str(lab.card), lab.slug, escape(title), *level, f"[{_status_style(status)}]{status}[/]",
                      next_review(states.get(slug), today))  # fmt: skip
    console.print(table)


@lab_app.command()
def start(slug: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before a re-solve.")) -> None:
    """Copy the lab's starter into your workspace (never overwrites your work) and print its path. When the lab is due
    for review, offer to solve it again from a fresh starter (your earlier file is archived, never lost)."""
    lab = _find(slug)
    today = _today()
    store = _store("")  # a home that cannot hold it cannot hold the file either: that error says it all
    console = _console()
    due = workspace.resolve_offer(slug, store, today) if store is not None else None
    if due is not None:
        _resolve(console, lab, due, yes, store)
        return
    try:
        path, created = labs.start(lab)
    except OSError as exc:
        raise _fail(cannot_write(exc)) from None
    if created:
        _log(slug, lab_review.START, store=store or _store())
        console.print(f"[green]Created[/] {path}")
        console.print(f"Read {lab.readme}, edit the file, then run [bold]trainer lab check {slug}[/].")
    else:
        console.print(f"[yellow]Your file already exists[/] (left untouched): {path}")
        state = store.lab_state(slug) if store is not None else None
        if state is not None:
            console.print(f"Next review of {slug}: {state.due.isoformat()} (every {state.interval} d).")


def _resolve(console: Console, lab: Lab, due: Any, yes: bool, store: Any) -> None:
    """Offer the review of a due lab: a fresh starter, the earlier file archived, a new round."""
    target = labs.workspace_file(lab.slug)
    console.print(f"[bold yellow]{lab.slug} is due for review[/] (since {due.due.isoformat()}; solved before, "
                  f"interval {due.interval} d): solve it again from a blank starter.")  # fmt: skip
    if target.exists() and not yes and not typer.confirm(
        f"Start {lab.slug} again from a fresh starter? Your file is archived, never lost", default=True
    ):
        console.print(f"Your file is left as it is; {lab.slug} stays due (run this again to re-solve it).")
        return
    try:
        path, kept = workspace.resolve(lab)
    except OSError as exc:
        raise _fail(cannot_write(exc)) from None
    _log(lab.slug, lab_review.RESOLVE, str(kept or ""), store=store or _store())
    if kept is not None:
        console.print(f"Your earlier file is archived as {kept}")
    console.print(f"[green]Fresh starter[/] at {path}")
    console.print(f"Solve it, then run [bold]trainer lab check {lab.slug}[/]: the first pass grades this review "
                  f"({RULE_LINE}).")  # fmt: skip


RULE_LINE = "5 at the first check without a hint, 4 after failed checks, 3 after a hint, 1 after the solution"


def _test_line(result: TestResult, detail: str = "full") -> str:
    """One test: mark, name, seconds; below a failure its message (named mistake first): in full, its first line
    only (`detail="headline"`), or `same message as above` (`detail="same"`)."""
    mark, style = _MARK.get(result.outcome, ("?", "red"))
    line = f"[{style}]{mark}[/] {escape(result.name)} [dim]{result.seconds:.2f}s[/]"
    if result.outcome in ("passed", "not_run") or not result.message:
        return line
    if detail == "same":
        return line + " [dim](same as above)[/]"
    first, *rest = message_lines(result.message)
    rest = rest if detail == "full" else []
    return line + f"\n    [red]{escape(first)}[/]" + "".join(f"\n    {escape(extra)}" for extra in rest)


def _counts(result: CheckResult) -> str:
    """`12 of 15 passed, 2 failed, 1 error` (only what is not zero, after the passes)."""
    parts = [f"{result.passed} of {result.total} passed"]
    parts += [f"{n} {word}" for n, word in ((result.failed, "failed"), (result.errors, "errors"),
                                            (result.not_run, "not run")) if n]  # fmt: skip
    return ", ".join(parts)


def _print_summary(console: Console, result: CheckResult, verbose: bool = False) -> None:
    """The verdict in a line or two: PASSED alone; else the first thing to fix, then the counts and the reason."""
    style = _OUTCOME_STYLE.get(result.outcome, "bold")
    verdict = f"[{style}]{result.outcome.upper()}[/]"
    where = f"in {result.seconds:.1f}s on {result.device}"
    if result.outcome == "passed":
        console.print(f"{verdict} all {result.total} tests {where}")
    elif result.import_error:
        console.print(f"{verdict} your file could not be imported, so none of the {result.total} tests ran: "
                      f"{escape(tidy(result.import_error))} ({where})")  # fmt: skip
    elif result.outcome == "error":  # it could not run: the reason is all there is to say
        console.print(f"{verdict} {escape(result.message)}")
    else:
        first = first_to_fix(result.tests)
        if first is not None:  # rustlings-style: the first thing to fix, right above the verdict
            console.print(f"[bold red]First to fix:[/] {escape(first.name)}: {escape(headline(first.message))}")
        console.print(f"{verdict} {_counts(result)} {where}")
        if result.message and not result.message.startswith("every test: "):
            console.print(f"[{style}]{escape(tidy(result.message))}[/]")
    if (verbose or result.outcome == "crashed") and result.output.strip():
        cut = f" (output cut: showing the last {len(result.output.encode())} bytes)" if result.output_cut else ""
        console.print(Panel(escape(result.output[-4000:]), title=f"pytest output{cut}", border_style="dim"))
    elif result.output_cut:
        console.print(f"[dim]The run printed {result.output_cut + len(result.output.encode())} bytes; "
                      f"only the last {len(result.output.encode())} were kept.[/]")  # fmt: skip


def _prefetch_store() -> None:
    """Import the store (SQLAlchemy: about half a second) on a thread while the check runs, so the attempt is saved
    the moment the check ends instead of after that import."""
    threading.Thread(target=importlib.import_module, args=("trainer.store.database",), daemon=True).start()


def _record(result: CheckResult) -> Any:
    """Store the check; the store's LabCheckRecord, or None (with a warning) when it cannot be saved."""
    from trainer.config import ConfigError
    from trainer.store.database import StoreError

    try:
        return workspace.record_attempt(result)
    except (StoreError, ConfigError) as exc:
        _warn("warning", f"attempt not saved: {exc}")
        return None


def graded_json(review: Any) -> dict[str, Any] | None:
    """The graded round of a check for `--json` (None when the check graded nothing)."""
    if review is None:
        return None
    return {"round": review.round, "grade": review.quality, "reason": lab_review.grade_reason(lab_review.facts_of(review)),
            "checks": review.checks, "failed": review.failed, "hints": review.hints,
            "solution_shown": review.solution_shown, "seconds": round(review.seconds, 1),
            "interval": review.after.interval, "due": review.after.due.isoformat()}  # fmt: skip


def _print_schedule(console: Console, result: CheckResult, record: Any) -> None:
    """What the check did to the lab: a grade and the next review, nothing (another file), or why not."""
    own = record.attempt.own_file if record is not None else workspace.is_own_file(result.slug, result.file)
    if not own or record is None or result.outcome != "passed":
        return
    review = record.review
    if review is not None:
        reason = lab_review.grade_reason(lab_review.facts_of(review))
        console.print(f"[green]Scheduled:[/] grade {review.quality} ({reason}); next review "
                      f"{review.after.due.isoformat()} (in {review.after.interval} d).")  # fmt: skip
        return
    store = _store()
    state = store.lab_state(result.slug) if store is not None else None
    if state is None:
        return
    if workspace.resolve_offer(result.slug, store, _today()) is not None:
        console.print(f"[yellow]{result.slug} is due for review:[/] [bold]trainer lab start {result.slug}[/] starts "
                      "it again from a fresh starter; the first pass of that round moves the schedule.")  # fmt: skip
    else:
        console.print(f"This round was graded already: the schedule stays (next review {state.due.isoformat()}).")


def _run_with_progress(
    console: Console,
    lab: Lab,
    file: Path,
    device: str,
    timeout: float,
    verbose: bool = False,
    warm: labs.WarmGrader | None = None,
    cancel: Callable[[], bool] | None = None,
) -> CheckResult:
    """Grade with a live bar; each failure is printed as it comes (every test with `verbose`). With `warm`, in its
    warm process; `cancel()` true stops the run (CheckCancelled)."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True, disable=not console.is_terminal,  # a pipe gets no bar, and no blank line
    ) as progress:  # fmt: skip
        task = progress.add_task(f"checking {lab.slug}", total=None)
        shown = {"message": "", "import_failed": False}

        def show(event: TestEvent) -> None:
            if event.kind == "session":
                progress.update(task, total=event.total)
            elif event.kind == "started":
                progress.update(task, description=escape(event.name))
            elif event.kind == "import_error":
                shown["import_failed"] = True  # said once, in the verdict
            elif event.result is not None:
                progress.update(task, completed=event.index)
                result = event.result
                if verbose or (result.outcome in ("failed", "error") and not shown["import_failed"]):
                    if result.message and result.message == shown["message"]:
                        detail = "same"
                    else:  # the first failure in full, the next ones in a line (all in full with --verbose)
                        detail = "full" if verbose or not shown["message"] else "headline"
                    progress.console.print(_test_line(result, detail))
                    shown["message"] = result.message or shown["message"]

        return labs.check_lab(lab.slug, file, device, timeout=timeout, on_event=show, labs_root=lab.root, warm=warm,
                              cancel=cancel)  # fmt: skip


@lab_app.command()
def check(
    slug: str,
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="File to grade (default: your workspace file)."),
    device: Optional[str] = typer.Option(
        None, "--device", help="auto (cuda if the grading process sees one), cpu or cuda; default: the lab_device setting."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as one JSON object, nothing else."),
    timeout: float = typer.Option(labs.DEFAULT_TIMEOUT, "--timeout", min=1, help="Wall-clock limit in seconds."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Every test as it finishes, and pytest's output."),
) -> None:
    """Grade your file; exit 0 when every test passes, 1 when some fail, 2 when it could not run."""
    lab = _find(slug)
    device = _checked_device(device)
    target = file or labs.workspace_file(slug)
    if file is None and not target.exists():
        raise _fail(f"no file at {target}: run `trainer lab start {slug}` first, or pass --file")
    console = _console()
    _prefetch_store()
    try:
        if as_json:
            result = labs.check_lab(lab.slug, target, device, timeout=timeout, labs_root=lab.root)
        else:
            console.print(f"Checking [bold]{escape(str(target))}[/] against [bold]{slug}[/] ({device}, limit {timeout:g} s)"
                          f"{_other_file_note(slug, target)}", soft_wrap=True)
            result = _run_with_progress(console, lab, target, device, timeout, verbose)
    except LabError as exc:
        raise _fail(str(exc)) from None
    record = _record(result)
    if as_json:
        data = result.to_dict()
        data["own_file"] = record.attempt.own_file if record is not None else workspace.is_own_file(slug, target)
        data["graded"] = graded_json(record.review if record is not None else None)
        typer.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print_summary(console, result, verbose)
        _print_schedule(console, result, record)
    raise typer.Exit(result.exit_code)


def _other_file_note(slug: str, target: Path) -> str:
    """The mark of a check of a file other than the learner's own: it is logged and moves nothing."""
    if workspace.is_own_file(slug, target):
        return ""
    return " · [yellow]not your workspace file: logged, it moves neither your lab's status nor its schedule[/]"


def _checked_device(option: str | None) -> str:
    """The device to grade on (--device, else the setting); one line and exit 2 at once when it cannot work."""
    device = _device(option)
    try:
        labs.check_device(device)
    except LabError as exc:
        raise _fail(str(exc)) from None
    return device


def _device(option: str | None) -> str:
    """--device when given, else the lab_device setting of config.toml."""
    if option is not None:
        return option
    from trainer.config import ConfigError, load_settings

    try:
        return load_settings().lab_device
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@lab_app.command()
def watch(
    slug: str,
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="File to watch (default: your workspace file)."),
    device: Optional[str] = typer.Option(None, "--device", help="auto, cpu or cuda; default: the lab_device setting."),
    timeout: float = typer.Option(labs.DEFAULT_TIMEOUT, "--timeout", min=1, help="Wall-clock limit in seconds."),
    poll: float = typer.Option(
        0.1, "--poll", min=0.02, help="Seconds between looks at the file where saves cannot be watched (no inotify)."
    ),
    runs: int = typer.Option(0, "--runs", min=0, help="Stop after this many checks (0: until Ctrl+C)."),
    use_warm: bool = typer.Option(
        True, "--warm/--no-warm", help="Fork each check from a warm process (default), or start a fresh one each time."
    ),
) -> None:
    """Check your file now and again every time you save it (Ctrl+C stops). Checks after the first run in a warm
    process that has already imported torch and the lab's tests; a save during a check starts it again."""
    lab = _find(slug)
    device = _checked_device(device)
    target = file or labs.workspace_file(slug)
    if not target.exists():
        raise _fail(f"no file at {target}: run `trainer lab start {slug}` first, or pass --file")
    console = _console()
    done = 0
    pending = True  # the first check runs at once
    try:
        with labs.WarmGrader() as warm, FileWatch(target) as saves:
            while runs == 0 or done < runs:
                if not (pending or saves.changed()):
                    saves.wait(poll)
                    continue
                pending = False
                console.rule(f"{slug}: {escape(target.name)}{_other_file_note(slug, target)}")
                try:
                    result = _run_with_progress(console, lab, target, device, timeout, warm=warm if use_warm else None,
                                                cancel=saves.changed)  # fmt: skip
                except labs.CheckCancelled:
                    console.print("[dim]saved again: checking the new version[/]")
                    pending = True
                    continue
                except LabError as exc:
                    raise _fail(str(exc)) from None
                record = _record(result)
                _print_summary(console, result)
                _print_schedule(console, result, record)
                if result.warm_note:
                    console.print(f"[dim]({escape(result.warm_note)})[/]")
                done += 1
                if runs == 0 or done < runs:
                    console.print("[dim]Watching for changes: save the file to check again, Ctrl+C stops.[/]")
    except KeyboardInterrupt:
        console.print("stopped watching")


@lab_app.command()
def hint(slug: str, lang: Optional[str] = LangOption) -> None:
    """Show the next hint (each reveals more; after the last one, it repeats)."""
    from rich.markdown import Markdown  # imported on use: markdown-it is slow to import

    language = chosen_language(lang)
    lab = _find(slug)
    try:
        number, total, text = labs.next_hint(lab, language)
    except OSError as exc:
        raise _fail(cannot_write(exc)) from None
    if not total:
        raise _fail(f"lab {slug!r} has no hints")
    _log(slug, lab_review.HINT, str(number))
    last = (" (最后一条)" if language == "zh" else " (the last one)") if number == total else ""
    word = "提示" if language == "zh" else "hint"
    text = cjk.join_lines(text) if language == "zh" else text
    _console().print(Panel(Markdown(text), title=f"{slug}: {word} {number}/{total}{last}", border_style="cyan"))


@lab_app.command()
def reset(slug: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Replace your workspace file with a fresh starter; a changed one is kept as `<slug>.py.bak-<time>`."""
    lab = _find(slug)
    target = labs.workspace_file(slug)
    if not labs.is_untouched(lab) and not yes:
        typer.confirm(f"Replace {target} with a fresh starter (a backup is kept)?", abort=True)
    try:
        path, backup = labs.reset(lab)
    except OSError as exc:
        raise _fail(cannot_write(exc)) from None
    _log(slug, lab_review.RESET, str(backup or ""))
    console = _console()
    if backup is not None:
        console.print(f"Your previous file is kept as {backup}")
    console.print(f"[green]Fresh starter[/] at {path}")


@lab_app.command()
def solution(slug: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Show the model answer (asks first: try the hints before)."""
    from rich.syntax import Syntax  # imported on use: pygments is slow to import

    lab = _find(slug)
    if not yes:
        typer.confirm(f"Show the solution of {slug}? Hints first are more useful", abort=True)
    code = lab.solution.read_text(encoding="utf-8")
    _log(slug, lab_review.SOLUTION)
    _console().print(Syntax(code, "python", word_wrap=True))  # no line numbers: it copies and pastes as is


def demo_command(lab: Lab) -> tuple[list[str], Path]:
    """`python -m labs.<slug>.demo` from the project root; a lab outside the project runs its demo.py by path."""
    if lab.root == PROJECT_ROOT / "labs":
        return [sys.executable, "-m", f"labs.{lab.slug}.demo"], PROJECT_ROOT
    return [sys.executable, str(lab.demo)], lab.folder


@lab_app.command()
def demo(slug: str) -> None:
    """Run the lab's demo (the card's claim in numbers), streaming its output."""
    lab = _find(slug)
    if not lab.demo.is_file():
        raise _fail(f"lab {slug!r} has no demo.py")
    command, cwd = demo_command(lab)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if sys.stdout.isatty():
        env["FORCE_COLOR"] = "1"
    with subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            typer.echo(line, nl=False)
    raise typer.Exit(proc.returncode)
