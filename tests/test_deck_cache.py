"""The deck's JSON copy: the same deck as a fresh parse, refreshed by any change to the card files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import trainer.deck_cache as deck_cache
from trainer.deck import load_deck
from trainer.deck_cache import load_deck_cached
from trainer.paths import CARDS_DIR


@pytest.fixture
def cards(tmp_path: Path) -> Path:
    """A copy of the real deck plus one malformed card, so errors round-trip too."""
    folder = tmp_path / "cards"
    shutil.copytree(CARDS_DIR, folder)
    (folder / "99-broken.md").write_text("---\nid: 99\nslug: [unclosed\n---\n", encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "home" / "cache" / "deck.json"


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(folder: Path | None = None) -> None:
        raise AssertionError("the deck was parsed although the cache is current")

    monkeypatch.setattr(deck_cache, "load_deck", refuse)


def test_the_copy_gives_the_parsed_deck_back(cards: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = load_deck(cards)
    assert len(parsed.cards) == 20 and len(parsed.errors) == 1
    assert load_deck_cached(cache, cards) == parsed and cache.is_file()
    no_parsing(monkeypatch)
    cached = load_deck_cached(cache, cards)
    assert cached == parsed
    assert [c.path for c in cached.cards] == [c.path for c in parsed.cards] and cached.cards[0].tags == parsed.cards[0].tags
    assert [str(e) for e in cached.errors] == [str(e) for e in parsed.errors]


def test_an_edited_card_is_parsed_again(cards: Path, cache: Path) -> None:
    load_deck_cached(cache, cards)
    path = sorted(cards.glob("0*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("## Answer\n", "## Answer\n\nEdited first line.\n", 1),
                    encoding="utf-8")
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert "Edited first line." in load_deck_cached(cache, cards).cards[0].answer_en


def test_added_and_removed_cards_are_seen(cards: Path, cache: Path) -> None:
    load_deck_cached(cache, cards)
    (cards / "99-broken.md").unlink()
    assert load_deck_cached(cache, cards).errors == ()
    shutil.copy(sorted(cards.glob("0*.md"))[0], cards / "98-copy.md")
    assert "duplicate id" in str(load_deck_cached(cache, cards).errors[0])


@pytest.mark.parametrize("content", ["{not json", '{"key": 1}', '{"key": null, "cards": 3}', ""])
def test_a_damaged_copy_is_rewritten(cards: Path, cache: Path, content: str) -> None:
    cache.parent.mkdir(parents=True)
    cache.write_text(content, encoding="utf-8")
    assert load_deck_cached(cache, cards) == load_deck(cards)
    assert cache.read_text(encoding="utf-8") != content


def test_an_unwritable_cache_only_costs_a_parse(cards: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert load_deck_cached(blocker / "cache" / "deck.json", cards) == load_deck(cards)


def test_a_start_from_the_copy_never_imports_yaml(
    cards: Path, cache: Path, fresh_python: Callable[..., str]
) -> None:
    load_deck_cached(cache, cards)
    code = (
        "import sys\nfrom pathlib import Path\nfrom trainer.deck_cache import load_deck_cached\n"
        f"deck = load_deck_cached(Path({str(cache)!r}), Path({str(cards)!r}))\n"
        "print(len(deck.cards), 'yaml' in sys.modules)"
    )
    assert fresh_python(code).split() == ["20", "False"]
