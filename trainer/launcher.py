"""The `trainer` console script: `trainer` alone opens the TUI at once; any argument goes to the Typer CLI.

Kept apart from trainer.cli so that opening the TUI never pays for importing Typer and every command group.
Whatever reaches the learner as an error is one line on stderr, never a traceback: a bad config.toml, or a
TRAINER_HOME that cannot be written.
"""

from __future__ import annotations

import sys


def fail(message: str) -> int:
    """Print `error: message` on stderr; the exit code of a command that could not run."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def open_tui(first: str | None = None, lang: str | None = None) -> int:
    """Run the TUI (on screen `first`, e.g. "review", and in language `lang` when given); its exit code."""
    from trainer.config import ConfigError
    from trainer.tui.app import make_app

    try:
        app = make_app(first=first)
    except ConfigError as exc:
        return fail(str(exc))
    if lang in ("zh", "en"):
        app.backend.lang = lang
    app.run()
    return app.return_code or 0


def main() -> None:
    """Open the TUI when no argument is given, else run the command line."""
    if len(sys.argv) == 1:
        sys.exit(open_tui())
    from trainer.cli import app
    from trainer.paths import cannot_write

    try:
        app()
    except OSError as exc:  # the net under every command: a write to TRAINER_HOME refused
        sys.exit(fail(cannot_write(exc)))
