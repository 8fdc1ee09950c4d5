"""`python -m trainer.tui`: the TUI without the Typer command line (what `trainer` alone opens)."""

import sys

from trainer.launcher import open_tui

if __name__ == "__main__":
    sys.exit(open_tui())
