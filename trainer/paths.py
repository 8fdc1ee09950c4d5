"""Where the trainer keeps its files: the project folders and the user's TRAINER_HOME.

The project's three content folders are found the same way: `cards/` (the deck), `labs/` (the labs and the
reference model) and `data/` (seed notes, the trained TinyGPT) sit next to the `trainer` package, and each can
be pointed elsewhere with an environment variable: TRAINER_CARDS, TRAINER_LABS, TRAINER_DATA.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CARDS_DIR = PROJECT_ROOT / "cards"
LABS_DIR = PROJECT_ROOT / "labs"
DATA_DIR = PROJECT_ROOT / "data"


def trainer_home() -> Path:
    """The user's data folder: $TRAINER_HOME, else the platform's user data dir.

    Never created here: whatever writes a file there creates the folders it needs, so that merely reading
    (a read-only or missing home) never fails.
    """
    env = os.environ.get("TRAINER_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("trainer", appauthor=False))


def db_path() -> Path:
    """The SQLite progress database."""
    return trainer_home() / "progress.db"


def config_path() -> Path:
    """The user's settings file."""
    return trainer_home() / "config.toml"


def deck_cache_path() -> Path:
    """The parsed deck's JSON copy (trainer.deck_cache), safe to delete."""
    return trainer_home() / "cache" / "deck.json"


def workspace_dir() -> Path:
    """Where learners' lab files live, one `<slug>.py` each (created by the first `lab start`)."""
    return trainer_home() / "workspace"


def content_dir(name: str) -> Path:
    """The project folder `name` ("cards", "labs" or "data"): $TRAINER_<NAME>, else PROJECT_ROOT / name."""
    env = os.environ.get(f"TRAINER_{name.upper()}")
    return Path(env).expanduser().resolve() if env else PROJECT_ROOT / name


def cards_dir() -> Path:
    """The deck folder: $TRAINER_CARDS, else the project's cards/."""
    return content_dir("cards")


def labs_dir() -> Path:
    """The folder holding one sub-folder per lab: $TRAINER_LABS, else the project's labs/."""
    return content_dir("labs")


def data_dir() -> Path:
    """What the app and the labs read but do not compute: $TRAINER_DATA, else the project's data/."""
    return content_dir("data")


def cannot_write(exc: OSError) -> str:
    """One line for a file the trainer could not write: which one, why, and what to do."""
    target = exc.filename or trainer_home()
    reason = exc.strerror or str(exc)
    return (
        f"cannot write {target} ({reason}): make {trainer_home()} writable, "
        "or set TRAINER_HOME to a folder you can write to"
    )
