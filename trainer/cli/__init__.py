"""The `trainer` command line (Typer). `trainer` alone opens the TUI; each command group lives in its own module."""

from __future__ import annotations

from typing import Optional

import typer

from trainer import __version__, cjk
from trainer.cli import cards_cmd, lab_cmd, progress_cmd, review_cmd, stats_cmd

cjk.install()  # Chinese cards and hints wrap between characters, not only at the spaces around Latin words

app = typer.Typer(
    help="Transformer interview trainer: SM-2 review cards and autograded coding labs.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode="rich",
)
cards_cmd.register(app)
review_cmd.register(app)
lab_cmd.register(app)
progress_cmd.register(app)
stats_cmd.register(app)


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
        from trainer.launcher import open_tui  # Textual is imported there: subcommands never load it

        raise typer.Exit(open_tui())
