"""The deck loader: the real deck, and one clear error (file and line) per kind of malformed card."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trainer.catalog import LAB_SLUGS
from trainer.deck import load_deck, parse_card, CardError
from trainer.paths import CARDS_DIR

CJK = re.compile(r"[\u3400-\u9fff]")

GOOD = """---
id: {id}
slug: {slug}
lab: kv_cache
tags: [inference, memory]
title:
  zh: 为什么需要 KV Cache？
  en: Why a KV cache?
---

## 问题

为什么推理时需要 KV Cache？

## 答案

缓存 K 和 V。

## Question

Why does decoding need a KV cache?

## Answer

It keeps the keys and values of past tokens.
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def good(card_id: int = 1, slug: str = "kv-cache") -> str:
    return GOOD.format(id=card_id, slug=slug)


def test_real_deck_has_twenty_valid_cards_in_both_languages() -> None:
    deck = load_deck(CARDS_DIR)
    assert deck.errors == ()
    assert [c.id for c in deck.cards] == list(range(1, 21))
    for card in deck.cards:
        assert card.question_zh and card.answer_zh and card.question_en and card.answer_en
        assert CJK.search(card.question_zh + card.answer_zh), f"card {card.id} zh sections hold no Chinese"
        assert not CJK.search(card.title_en + card.question_en + card.answer_en)


def test_real_deck_links_each_card_to_its_lab_in_labs_md_order() -> None:
    deck = load_deck(CARDS_DIR)
    assert [c.lab for c in deck.cards] == list(LAB_SLUGS)
    assert len({c.slug for c in deck.cards}) == 20


def test_real_deck_keeps_no_dangling_source_links() -> None:
    for card in load_deck(CARDS_DIR).cards:
        text = card.answer_zh + card.answer_en
        assert "出处" not in text and ".md)" not in text, f"card {card.id} still links to a source file"


def test_real_deck_ends_every_answer_with_one_lab_line_form() -> None:
    for card in load_deck(CARDS_DIR).cards:
        command = f"`trainer lab start {card.lab}`"
        zh, en = card.answer_zh.splitlines()[-1], card.answer_en.splitlines()[-1]
        assert zh.startswith("**Lab：** ") and command in zh, f"card {card.id}: zh answer must end with '**Lab：** ...'"
        assert CJK.search(zh.replace(command, "")), f"card {card.id}: the zh Lab line must be a Chinese sentence"
        assert en.startswith("**Lab:** ") and command in en, f"card {card.id}: en answer must end with '**Lab:** ...'"


def test_real_deck_corrects_in_both_languages_or_neither() -> None:
    for card in load_deck(CARDS_DIR).cards:
        assert ("> **更正：**" in card.answer_zh) == ("> **Correction:**" in card.answer_en), f"card {card.id}"


def test_a_good_card_parses_every_field(tmp_path: Path) -> None:
    card = parse_card(write(tmp_path, "01-kv.md", good()))
    assert (card.id, card.slug, card.lab, card.tags) == (1, "kv-cache", "kv_cache", ("inference", "memory"))
    assert card.title("en") == "Why a KV cache?" and card.title("zh") == "为什么需要 KV Cache？"
    assert card.question("en") == "Why does decoding need a KV cache?"
    assert card.answer("zh") == "缓存 K 和 V。"


BROKEN = {
    "no front matter": (lambda t: t.split("---\n", 2)[2], 1, "no front matter"),
    "unclosed front matter": (lambda t: t.replace("---\n\n## 问题", "\n## 问题", 1), 1, "not closed"),
    "invalid yaml": (lambda t: t.replace("tags: [inference, memory]", "tags: [inference, memory"), 6, "invalid YAML"),
    "unknown lab": (lambda t: t.replace("lab: kv_cache", "lab: kv_caches"), 4, "unknown lab slug 'kv_caches'"),
    "missing en section": (lambda t: t.split("## Answer")[0], 22, "missing section '## Answer'"),
    "missing zh section": (lambda t: t.replace("## 答案\n\n缓存 K 和 V。\n", ""), 22, "missing section '## 答案'"),
    "chinese in english": (lambda t: t.replace("past tokens.", "past tokens 缓存."), 25, "contains Chinese"),
    "empty section": (lambda t: t.replace("缓存 K 和 V。", ""), 15, "'## 答案' is empty"),
    "bad id": (lambda t: t.replace("id: 1", "id: one"), 2, "id must be a positive integer"),
    "missing title language": (lambda t: t.replace("  en: Why a KV cache?\n", ""), 6, "title must have both"),
    "unknown section": (lambda t: t.replace("## Answer", "## Answers"), 23, "unknown section '## Answers'"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_malformed_card_names_its_file_and_line(tmp_path: Path, kind: str) -> None:
    mutate, line, message = BROKEN[kind]
    write(tmp_path, "02-ok.md", good(2, "ok"))
    bad = write(tmp_path, "01-bad.md", mutate(good()))
    deck = load_deck(tmp_path)
    assert [c.id for c in deck.cards] == [2], "the good card must still load"
    assert len(deck.errors) == 1
    error = deck.errors[0]
    assert error.path == bad
    assert message in error.message
    assert error.line == line, f"{kind}: reported line {error.line}: {error.message}"
    assert str(error).startswith(f"{bad}:{line}: ")


def test_duplicate_id_and_slug_are_reported_and_the_first_kept(tmp_path: Path) -> None:
    write(tmp_path, "01-a.md", good(1, "a"))
    dup_id = write(tmp_path, "02-b.md", good(1, "b"))
    dup_slug = write(tmp_path, "03-c.md", good(3, "a"))
    deck = load_deck(tmp_path)
    assert [c.slug for c in deck.cards] == ["a"]
    by_path = {e.path: e for e in deck.errors}
    assert "duplicate id 1" in by_path[dup_id].message and by_path[dup_id].line == 2
    assert "duplicate slug 'a'" in by_path[dup_slug].message and by_path[dup_slug].line == 3


def test_not_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "01-bin.md").write_bytes(b"\xff\xfe\x00garbage")
    write(tmp_path, "02-ok.md", good(2, "ok"))
    deck = load_deck(tmp_path)
    assert len(deck.cards) == 1 and "not UTF-8" in deck.errors[0].message


def test_missing_folder_is_one_error(tmp_path: Path) -> None:
    deck = load_deck(tmp_path / "nope")
    assert deck.cards == () and "not found" in deck.errors[0].message


def test_card_error_carries_line() -> None:
    assert CardError(3, "x").line == 3
