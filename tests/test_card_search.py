"""Browser search: words from either language, markup ignored, a tag filter."""

from __future__ import annotations

from pathlib import Path

from trainer.card_search import matches, tag_counts
from trainer.deck import Card, load_deck


def card(tags: tuple[str, ...] = ("inference",), **text: str) -> Card:
    fields = {"title_zh": "KV 缓存", "title_en": "The KV cache", "question_zh": "为什么要缓存 **K** 和 **V**？",
              "answer_zh": "每步只算新 token。", "question_en": "Why cache keys and values?",
              "answer_en": "Reuse past `keys` and values: cost O(T)."}
    fields.update(text)
    return Card(id=6, slug="kv-cache", lab="kv_cache", tags=tags, path=Path("06.md"), **fields)


def test_words_are_found_in_either_language_whatever_the_case() -> None:
    c = card()
    assert matches(c, "kv") and matches(c, "缓存") and matches(c, "新 TOKEN") and matches(c, "past keys")
    assert matches(c, "") and matches(c, "   ")
    assert not matches(c, "attention") and not matches(c, "缓存 attention")  # every word must be there


def test_markdown_marks_do_not_hide_a_match() -> None:
    assert matches(card(), "缓存 K 和 V") and matches(card(), "`keys` and")


def test_the_tag_filter() -> None:
    c = card(tags=("inference", "memory"))
    assert matches(c, tag="memory") and not matches(c, tag="training") and matches(c, "kv", tag=None)
    assert not matches(c, "attention", tag="memory")


def test_tag_counts_on_the_real_deck() -> None:
    cards = load_deck().cards
    counts = dict(tag_counts(cards))
    assert sum(counts.values()) == sum(len(c.tags) for c in cards) and counts
    assert list(counts.values()) == sorted(counts.values(), reverse=True)
    assert all(sum(matches(c, tag=tag) for c in cards) == n for tag, n in counts.items())
