"""`trainer due`, `trainer review --plain`, `trainer undo`, `trainer config`: thin shells over ReviewService."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from trainer.config import (
    SETTING_NAMES,
    ConfigError,
    Settings,
    describe_problems,
    load_settings,
    read_settings,
    save_settings,
    with_setting,
)
from trainer.paths import cannot_write, config_path
from trainer.srs import parse_quality

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported only by the commands that need it
    from trainer.review import GradeResult, ReviewService

KEYS_HELP = "Enter: show answer | 0-5: grade | u: undo | q: quit"


def load_cards() -> list[Any]:
    """The deck's cards (trainer.deck), in id order; a card file that cannot be read is named on stderr."""
    from trainer.deck import load_deck

    deck = load_deck()
    if deck.errors:
        files = sorted({error.path.name for error in deck.errors})
        typer.echo(f"warning: {len(files)} card file(s) left out, they have errors ({', '.join(files)}): "
                   "`trainer cards --check` shows them", err=True)  # fmt: skip
    return list(deck.cards)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _service(settings: Settings) -> ReviewService:
    from trainer import clock
    from trainer.review import ReviewService
    from trainer.store.database import StoreError, open_store

    try:
        return ReviewService(load_cards(), open_store(), settings, now=lambda: clock.utc_now())
    except StoreError as exc:
        raise _fail(str(exc)) from exc


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


def interactive() -> bool:
    """Whether a full-screen review can open: stdin and stdout are a terminal (not a pipe)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def describe_grade(result: GradeResult) -> str:
    """The acknowledgement line, printed only after the grade is committed."""
    log = result.log
    if log.is_repeat:
        text = f"saved: card {log.card_id} graded {log.quality} (same-day repeat, schedule unchanged)"
    else:
        text = (
            f"saved: card {log.card_id} graded {log.quality}, next review {log.after.due.isoformat()} "
            f"(in {log.after.interval} d, EF {log.after.easiness:.2f})"
        )
    if result.requeued:
        text += ", back later today"
    return f"{text} [log {log.id}]"


def run_plain(
    service: ReviewService,
    lines: Iterator[str],
    echo: Callable[[str], None],
    lang: str = "zh",
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The line-based review loop; returns the number of grades saved. EOF or 'q' ends it.

    Each acknowledgement ("saved: ... [log N]") is printed only after its transaction committed.
    """
    summary = service.summary()
    echo(f"Today {summary.day.isoformat()}: {summary.due} due, {summary.new} new, {summary.repeats} to repeat.")
    echo(KEYS_HELP)
    saved = undone_count = 0
    while (card := service.current()) is not None:
        echo("")
        echo(f"[{service.remaining} left] #{card.id} {card.title(lang)}")
        echo(card.question(lang))
        shown = clock()
        revealed = False
        while True:
            line = next(lines, None)
            if line is None or line.strip().lower() == "q":
                echo(f"Bye: {saved} grade(s) saved, {undone_count} undone this session.")
                return saved
            command = line.strip().lower()
            if command == "":
                if not revealed:
                    echo("--- answer ---")
                    echo(card.answer(lang))
                    echo("Grade 0-5 (5 perfect, 4 hesitated, 3 hard, 0-2 wrong):")
                    revealed = True
                continue
            if command == "u":
                undone = service.undo()
                undone_count += undone is not None
                echo("nothing to undo" if undone is None else f"undone: card {undone.log.card_id} grade "
                     f"{undone.log.quality} [log {undone.log.id}]")
                break
            try:
                quality = parse_quality(command)
            except ValueError as exc:
                echo(f"{exc}; nothing saved. {KEYS_HELP}")
                continue
            result = service.grade(quality, seconds=clock() - shown)
            saved += 1
            echo(describe_grade(result))
            if result.missed_twice and lab_ready(getattr(card, "lab", "")):
                echo(f"missed twice running: its lab builds the answer, `trainer lab start {card.lab}`")
            break
    echo(f"Done for today: {saved} grade(s) saved, {undone_count} undone this session.")
    return saved


def lab_ready(slug: str) -> bool:
    """Whether lab `slug` is written yet (its folder has a lab.toml)."""
    from trainer.labs.registry import labs_root

    return bool(slug) and (labs_root() / slug / "lab.toml").is_file()


def _stdin_lines() -> Iterator[str]:
    """Lines from stdin one at a time (no read-ahead, so it works interactively and through a pipe)."""
    while line := sys.stdin.readline():
        yield line


def due() -> None:
    """Show today's queue as a table (a line when nothing is left), then the labs due for review."""
    settings = _settings()
    service = _service(settings)
    summary = service.summary()
    rows = service.queue_rows()
    console = Console()
    due_labs = service.store.due_labs(summary.day)
    labs_due = f", {len(due_labs)} lab(s) due" if due_labs else ""
    if not rows:
        console.print(f"Today {summary.day.isoformat()}: nothing left to review ({summary.done} done){labs_due}. "
                      f"{_next_due(service)}", soft_wrap=True)  # fmt: skip
        _print_due_labs(console, service, due_labs)
        return
    console.print(f"Today {summary.day.isoformat()}: {summary.due} due, {summary.new} new, {summary.repeats} to "
                  f"repeat, {summary.done} done{labs_due}", soft_wrap=True)  # fmt: skip
    table = Table()
    for column in ("#", "Card", "Due", "EF", "Interval"):
        table.add_column(column)
    for card_id, card, state in rows:
        if state is None:
            when = "new"
        elif not service.is_first_today(card_id):
            when = "again today"  # graded below 4 earlier today: its next date is already set
        else:
            when = state.due.isoformat()
        table.add_row(
            str(card_id),
            card.title(settings.language),
            when,
            "" if state is None else f"{state.easiness:.2f}",
            "" if state is None else f"{state.interval} d",
        )
    console.print(table)
    _print_due_labs(console, service, due_labs)


def _print_due_labs(console: Console, service: ReviewService, due_labs: list[tuple[str, Any]]) -> None:
    """The labs due for review: each to solve again from a fresh starter (or being solved again already)."""
    if not due_labs:
        return
    store = service.store
    table = Table(title="Labs due: solve each again from a blank starter", title_justify="left")
    for column in ("Lab", "Due", "EF", "Interval", "Next step"):
        table.add_column(column)
    for slug, due_day in due_labs:
        state = store.lab_state(slug)
        graded = any(r.round == store.lab_round(slug) for r in store.lab_reviews(slug))
        step = f"trainer lab start {slug}" if graded else f"re-solving: trainer lab check {slug}"
        table.add_row(slug, due_day.isoformat(), f"{state.easiness:.2f}", f"{state.interval} d", step)
    console.print(table)


def _next_due(service: ReviewService) -> str:
    """`Next: card 3 on 2026-06-02.`, or what to do when no card has a date yet."""
    upcoming = [state for state in service.store.card_states() if state.due > service.today()]
    if not upcoming:
        return "New cards come tomorrow (`trainer config new_per_day N` sets how many)."
    soonest = min(upcoming, key=lambda state: (state.due, state.card_id))
    return f"Next: card {soonest.card_id} on {soonest.due.isoformat()}."


def review(
    plain: bool = typer.Option(False, "--plain", help="Line-based review in the terminal (works through a pipe)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Card language: zh or en (default: config)."),
    new: int = typer.Option(0, "--new", min=0, help="Study N more new cards today, beyond new_per_day."),
) -> None:
    """Review today's cards: full screen in a terminal, line by line with --plain or through a pipe (Enter shows
    the answer, 0-5 grades, u undoes, q quits)."""
    settings = _settings()
    language = lang or settings.language
    if language not in ("zh", "en"):
        raise _fail(f"--lang must be zh or en, got {language!r}")
    if not plain and interactive():
        from trainer.launcher import open_tui

        raise typer.Exit(open_tui(first="review", lang=lang and language))
    service = _service(settings)
    if new:
        added = service.study_more_new(new)
        typer.echo(f"{added} more new card(s) today" + ("" if added == new else " (no other new card is left)") + ".")
    run_plain(service, _stdin_lines(), typer.echo, language)


def undo() -> None:
    """Undo the latest grade (repeatable); the log row is kept and marked undone."""
    from trainer.store.database import StoreError, open_store

    try:
        undone = open_store().undo_last()
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    if undone is None:
        typer.echo("nothing to undo")
        return
    log = undone.log
    state = "new again" if undone.restored is None else f"due {undone.restored.due.isoformat()}"
    typer.echo(f"undone: card {log.card_id} grade {log.quality} at {log.reviewed_at:%Y-%m-%d %H:%M} UTC; "
               f"card is {state} [log {log.id}]")


def config(
    key: Optional[str] = typer.Argument(None, help=f"Setting to show or change: {', '.join(SETTING_NAMES)}."),
    value: Optional[str] = typer.Argument(None, help="Its new value."),
) -> None:
    """Show the settings, show one (`trainer config new_per_day`), or set one (`trainer config new_per_day 10`).

    Setting a value also repairs a damaged config.toml: the other bad values go back to their defaults.
    """
    path = config_path()
    settings, problems = read_settings(path)
    if key is not None and key not in SETTING_NAMES:
        raise _fail(f"unknown setting {key!r}; known: {', '.join(SETTING_NAMES)}")
    if key is not None and value is not None:
        _set(settings, problems, key, value)
        return
    for name in SETTING_NAMES if key is None else (key,):
        typer.echo(f"{name} = {getattr(settings, name)}")
    if problems:
        raise _fail(describe_problems(path, problems) + " (Shown above: the defaults in place of the bad values.)")


def _set(settings: Settings, problems: list[str], key: str, value: str) -> None:
    """Save one setting; the file's other problems are repaired with defaults, and said so."""
    try:
        settings = with_setting(settings, key, value)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    try:
        path = save_settings(settings)
    except OSError as exc:
        raise _fail(cannot_write(exc)) from exc
    typer.echo(f"saved {key} = {getattr(settings, key)} to {path}")
    others = [p for p in problems if not p.startswith(f"{key} ")]
    if others:
        typer.echo(f"repaired the rest of the file with defaults (it had: {'; '.join(others)})")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("due")(due)
    app.command("review")(review)
    app.command("undo")(undo)
    app.command("config", context_settings={"ignore_unknown_options": True})(config)
