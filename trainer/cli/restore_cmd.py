"""`trainer restore`: the copies of progress.db (daily, before an upgrade, before a restore), and bringing one back."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from trainer.paths import db_path
from trainer.store import backup


def register(app: typer.Typer) -> None:
    """Add `restore` to the root app."""
    app.command("restore")(restore)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False).print(f"[bold red]error:[/] {message}")
    return typer.Exit(2)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


def _table(copies: list[backup.Backup]) -> Table:
    table = Table(title=f"Copies of {db_path()}", title_justify="left")
    for name, justify in (("#", "right"), ("file", "left"), ("kind", "left"), ("made", "left"), ("size", "right"),
                          ("reviews", "right")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for number, copy in enumerate(copies, start=1):
        reviews = "unreadable" if copy.reviews is None else str(copy.reviews)
        made = copy.made.astimezone().strftime("%Y-%m-%d %H:%M")
        table.add_row(str(number), copy.name, copy.kind, made, _size(copy.size), reviews)
    return table


def _pick(copies: list[backup.Backup], which: str) -> backup.Backup:
    """A copy by its number in the list or its file name."""
    for number, copy in enumerate(copies, start=1):
        if which in (str(number), copy.name):
            return copy
    raise _fail(f"no copy {which!r}: `trainer restore` lists them by number and file name")


def restore(
    which: Optional[str] = typer.Argument(None, help="The copy to bring back: its number in the list or file name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """List the copies of your progress database; with a number or file name, bring that copy back.

    A copy is made each day before the first grade or check (the last seven are kept), and before a schema upgrade.
    Restoring keeps the replaced database as a copy too; it refuses while another trainer process has it open.
    """
    db = db_path()
    copies = backup.list_backups(db)
    console = Console(highlight=False)
    if which is None:
        if copies:
            console.print(_table(copies))
            console.print("Bring one back with [bold]trainer restore NUMBER[/].")
        else:
            console.print(f"No copies of {db} yet: trainer makes one each day before the first grade or check.")
        return
    chosen = _pick(copies, which)
    if not yes:
        typer.confirm(f"Replace {db} with {chosen.name} (the current database is kept as a copy)?", abort=True)
    try:
        aside = backup.restore(chosen.path, db)
    except backup.BackupError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]Restored[/] {db} from {chosen.path}.")
    if aside is not None:
        console.print(f"The database it replaced is kept as {aside} (`trainer restore` lists it).")
