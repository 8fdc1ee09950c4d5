"""`trainer export` and `trainer import`: progress to and from a JSON file, and the deck as an Anki package."""

from __future__ import annotations

from pathlib import Path

import typer

TABLE_WORDS = {"review_log": "reviews", "card_state": "card states", "card_flag": "card flags",
               "lab_attempt": "lab attempts", "lab_event": "lab events", "lab_state": "lab schedules",
               "lab_review": "lab reviews"}
"""How each table's rows are counted in messages (a table not named here is shown by its name)."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _counted(rows: dict[str, int]) -> str:
    return ", ".join(f"{n} {TABLE_WORDS.get(name, name)}" for name, n in rows.items())


def export(
    path: Path = typer.Argument(..., help="The file to write (.json; .apkg with --anki).", dir_okay=False),
    anki: bool = typer.Option(False, "--anki", help="Write the twenty cards as an Anki deck (.apkg) instead."),
) -> None:
    """Export your whole progress to a JSON file, or with --anki the deck as an Anki package."""
    from trainer.store.database import StoreError
    from trainer.transfer import TransferError

    try:
        if anki:
            from trainer.anki import export_deck

            notes = export_deck(path)
            typer.echo(f"wrote {notes} notes (Chinese and English, tags, lab command) to {path}")
            return
        from trainer.transfer import export_progress

        rows = export_progress(path)
    except (TransferError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"exported {_counted(rows)}, settings and hints shown to {path}")


def import_(
    path: Path = typer.Argument(..., help="A file written by `trainer export`.", dir_okay=False),
    merge: bool = typer.Option(False, "--merge", help="Add what the file has and this home lacks, no duplicates."),
) -> None:
    """Import a progress file: into an empty home as it is, or into one with progress with --merge."""
    from trainer.store.database import StoreError
    from trainer.transfer import TransferError, import_progress

    try:
        done = import_progress(path, merge=merge)
    except (TransferError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    verb = "added" if merge else "imported"
    settings = "settings taken from the file" if done.settings else "your settings kept"
    typer.echo(f"{verb} {_counted(done.rows)}; {settings}; hints of {done.hints} lab(s) updated")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the root app."""
    app.command("export")(export)
    app.command("import")(import_)
