"""`python -m trainer.tui`: the TUI without the Typer command line (what `trainer` alone opens)."""

from trainer.tui.app import make_app

if __name__ == "__main__":
    make_app().run()
