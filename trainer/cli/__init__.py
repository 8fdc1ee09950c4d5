"""The `trainer` command line (Typer). `trainer` alone opens the TUI; each command group lives in its own module."""

from __future__ import annotations

from typing import Optional

import typer

from trainer import __version__
from trainer.cli import cards_cmd, lab_cmd, restore_cmd, review_cmd

app = typer.Typer(
    help="Transformer interview trainer: SM-2 review cards and autograded coding labs.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
cards_cmd.register(app)
review_cmd.register(app)
lab_cmd.register(app)
restore_cmd.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trainer {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Open the TUI when no command is given."""
    if ctx.invoked_subcommand is None:
        from trainer.tui.app import make_app  # imported here: subcommands never load Textual

        make_app().run()
