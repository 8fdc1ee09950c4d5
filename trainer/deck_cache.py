"""A JSON copy of the parsed deck, so the TUI starts without importing and running the YAML parser (~40 ms).

The copy is keyed by the deck folder and every card file's name, size and modification time (and by FORMAT,
bumped whenever Card or DeckError change). Any mismatch, or a copy that cannot be read, parses the deck again
and rewrites the copy atomically; a copy that cannot be written is simply skipped.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trainer.deck import Card, Deck, DeckError, load_deck
from trainer.paths import cards_dir

FORMAT = 1


def load_deck_cached(cache: Path, folder: Path | None = None) -> Deck:
    """The deck of `folder` (default: the deck folder), from `cache` when it is current."""
    folder = folder if folder is not None else cards_dir()
    key = _key(folder)
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data["key"] == key:
            return _decode(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, damaged or from another version: parse again
    deck = load_deck(folder)
    _write(cache, {"key": key, **_encode(deck)})
    return deck


def _key(folder: Path) -> list[Any]:
    """What changes when any card file is added, removed or saved."""
    files = []
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            info = path.stat()
            files.append([path.name, info.st_size, info.st_mtime_ns])
    return [FORMAT, str(folder.resolve()), files]


def _encode(deck: Deck) -> dict[str, Any]:
    return {
        "cards": [{**asdict(card), "path": str(card.path)} for card in deck.cards],
        "errors": [{**asdict(error), "path": str(error.path)} for error in deck.errors],
    }


def _decode(data: dict[str, Any]) -> Deck:
    cards = tuple(Card(**{**c, "path": Path(c["path"]), "tags": tuple(c["tags"])}) for c in data["cards"])
    errors = tuple(DeckError(**{**e, "path": Path(e["path"])}) for e in data["errors"])
    return Deck(cards, errors)


def _write(cache: Path, data: dict[str, Any]) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only home only costs the next start its YAML parse
