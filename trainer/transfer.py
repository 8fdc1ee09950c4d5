"""`trainer export` and `trainer import`: the whole of a learner's progress as one JSON file (docs/EXPORT_FORMAT.md).

The file holds every exported table of the progress database (trainer.store.transfer), the settings and the hints
shown. A file is read and checked whole before anything is written; the tables then go in one transaction.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.catalog import LAB_SLUGS
from trainer.config import SETTING_NAMES, ConfigError, Settings, load_settings, save_settings
from trainer.paths import config_path, trainer_home

FORMAT = "trainer-progress"
FORMAT_VERSION = 2
"""Raised whenever the shape changes, a new table included: a newer file is refused, an older one read."""
V1_LAB_ATTEMPT = {"own_file": 1, "round": 0}
"""What version 2 added to each lab check: checks of version 1 knew no path, so they count as the learner's own."""
SECTIONS = ("format", "version", "settings", "hints", "tables")


class TransferError(Exception):
    """The file cannot be exported or imported; the message names it and says what to do."""


@dataclass(frozen=True)
class Imported:
    """What an import wrote: rows per table, whether the settings were taken from the file, labs whose hints moved."""

    rows: dict[str, int]
    settings: bool
    hints: int


# --------------------------------------------------------------------------- export


def render(document: Mapping[str, Any]) -> str:
    """The document as JSON text: one line per section, one line per table row (stable, so exports compare)."""

    lines = [f'  "{key}": {json.dumps(document[key], ensure_ascii=False, sort_keys=True)}' for key in SECTIONS[:-1]]
    tables = []
    for name, rows in document["tables"].items():
        body = ",\n".join(f"      {json.dumps(row, ensure_ascii=False)}" for row in rows)
        tables.append(f'    "{name}": [\n{body}\n    ]' if rows else f'    "{name}": []')
    lines.append('  "tables": {\n' + ",\n".join(tables) + "\n  }")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def export_progress(path: Path) -> dict[str, int]:
    """Write the home's whole progress to `path` (atomically); returns the rows of each table."""
    from trainer.labs.workspace import hints_state
    from trainer.store.database import open_store

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise TransferError(f"{exc}. Nothing was exported.") from exc
    tables = open_store().export_tables()
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "settings": {name: getattr(settings, name) for name in SETTING_NAMES},
        "hints": hints_state(),
        "tables": tables,
    }
    _write_atomically(path, render(document))
    return {name: len(rows) for name, rows in tables.items()}


def _write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file beside `path`, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}. Choose a folder you can write to.") from exc


# --------------------------------------------------------------------------- reading a file


def read_document(path: Path) -> dict[str, Any]:
    """Read and check a progress file's envelope (format, version, sections); TransferError names what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TransferError(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise TransferError(f"{path} is not a text file; give the .json file that `trainer export` wrote.") from None
    except OSError as exc:
        raise TransferError(f"cannot read {path}: {exc.strerror or exc}.") from exc
    if not text.strip():
        raise TransferError(f"{path} is empty; give the .json file that `trainer export` wrote.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated"):
            raise TransferError(f"{path} ends too early (line {exc.lineno}): the file is truncated; "
                                "export it again.") from None
        raise TransferError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError(f'{path} is not a trainer progress file (it has no "format": "{FORMAT}").')
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise TransferError(f"{path} has no valid format version (got {version!r}).")
    if version > FORMAT_VERSION:
        raise TransferError(f"{path} was written by a newer trainer (format version {version}; this one reads up "
                            f"to {FORMAT_VERSION}). Upgrade trainer to import it.")
    unknown = sorted(set(document) - set(SECTIONS))
    if unknown:
        raise TransferError(f"{path} has unknown section(s) {', '.join(unknown)}.")
    for section in SECTIONS[2:]:
        if not isinstance(document.get(section, {}), dict):
            raise TransferError(f"{path}: {section} is not an object.")
    return document


def upgrade_tables(version: int, tables: Mapping[str, Any]) -> dict[str, Any]:
    """A file's tables in the current shape. Version 1 had no lab schedule (its tables import as empty, its passes
    are graded on import) and no `own_file` or `round` in a lab check. Rows that are not objects are left for the
    store's check to name."""
    upgraded = dict(tables)
    if version < 2 and isinstance(tables.get("lab_attempt"), list):
        upgraded["lab_attempt"] = [{**row, **V1_LAB_ATTEMPT} if isinstance(row, dict) else row
                                   for row in tables["lab_attempt"]]  # fmt: skip
    return upgraded


def _settings_of(path: Path, data: Mapping[str, Any]) -> Settings | None:
    """The file's settings, checked (None when it has none)."""
    if not data:
        return None
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise TransferError(f"{path}: unknown setting(s) {', '.join(unknown)}. Nothing was written.")
    try:
        return Settings(**data)
    except (ConfigError, TypeError) as exc:
        raise TransferError(f"{path}: settings: {exc}. Nothing was written.") from exc


def _hints_of(path: Path, data: Mapping[str, Any]) -> dict[str, int]:
    """The file's hints shown, checked: known labs, whole numbers from 0."""
    for slug, shown in data.items():
        if slug not in LAB_SLUGS:
            raise TransferError(f"{path}: hints name an unknown lab {slug!r}. Nothing was written.")
        if isinstance(shown, bool) or not isinstance(shown, int) or shown < 0:
            raise TransferError(f"{path}: hints of {slug} is {shown!r}, not a count. Nothing was written.")
    return dict(data)


# --------------------------------------------------------------------------- import


def import_progress(path: Path, merge: bool = False, card_ids: Collection[int] | None = None) -> Imported:
    """Import a progress file into the home. Without `merge` the home must hold no progress (no rows, no hint shown)
    and the file's settings replace the home's; with it, what is missing is added without duplicates (settings only
    when the home has none, hints: the larger count). `card_ids`: the deck's (default: the cards folder)."""
    from trainer.labs.workspace import hints_state, save_hints
    from trainer.store.database import open_store
    from trainer.store.transfer import RowError

    try:
        document = read_document(path)
    except TransferError as exc:
        raise TransferError(f"{exc} Nothing was written.") from None
    settings = _settings_of(path, document.get("settings", {}))
    hints = _hints_of(path, document.get("hints", {}))
    if card_ids is None:
        from trainer.deck import load_deck

        card_ids = {card.id for card in load_deck().cards}
    store = open_store()
    held = hints_state()
    counts = store.table_counts()
    if not merge and (any(counts.values()) or any(held.values())):
        what = ", ".join(f"{n} rows in {name}" for name, n in counts.items() if n) or "hints shown"
        raise TransferError(f"{trainer_home()} already holds progress ({what}). Nothing was written: use --merge to "
                            "add what the file has and the home lacks, or import into an empty TRAINER_HOME.")
    try:
        rows = store.import_tables(upgrade_tables(document["version"], document.get("tables", {})), merge=merge,
                                   known={"card_id": set(card_ids), "slug": set(LAB_SLUGS)})
    except RowError as exc:
        raise TransferError(f"{path}: {exc}. Nothing was written.") from exc
    take_settings = settings is not None and (not merge or not config_path().exists())
    merged = {slug: max(held.get(slug, 0), shown) for slug, shown in hints.items()}
    changed = {slug for slug, shown in merged.items() if held.get(slug, 0) != shown}
    try:
        if take_settings:
            save_settings(settings)
        if changed:
            save_hints({**held, **merged})
    except OSError as exc:
        raise TransferError(f"the reviews and lab checks of {path} were imported, but {exc.filename or 'a file'} "
                            f"could not be written ({exc.strerror or exc}): free some space or fix the folder's "
                            "permissions, then import again with --merge.") from exc
    return Imported(rows=rows, settings=take_settings, hints=len(changed))
