"""The `trainer` console script: `trainer` alone opens the TUI at once; any argument goes to the Typer CLI.

Kept apart from trainer.cli so that opening the TUI never pays for importing Typer and every command group.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Open the TUI when no argument is given, else run the command line."""
    if len(sys.argv) == 1:
        from trainer.tui.app import make_app

        make_app().run()
        return
    from trainer.cli import app

    app()
