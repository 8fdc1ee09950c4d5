"""Finding cards for the browser: text search over both languages and a tag filter (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from trainer.deck import Card

_MARKUP = str.maketrans("", "", "*`")
"""Markdown emphasis and code marks, dropped so that `KV cache` finds `**KV** cache`."""


def searchable_text(card: Card) -> str:
    """The card's titles, questions and answers in both languages, case-folded, without emphasis marks."""
    parts = (card.title_zh, card.title_en, card.question_zh, card.answer_zh, card.question_en, card.answer_en)
    return "\n".join(parts).translate(_MARKUP).casefold()


def matches(card: Card, query: str = "", tag: str | None = None) -> bool:
    """Whether the card has `tag` (None: any) and every word of `query` somewhere in its text, either language."""
    if tag is not None and tag not in card.tags:
        return False
    words = query.translate(_MARKUP).casefold().split()
    if not words:
        return True
    text = searchable_text(card)
    return all(word in text for word in words)


def tag_counts(cards: Iterable[Card]) -> list[tuple[str, int]]:
    """Every tag with the number of cards that carry it, most used first (ties alphabetical)."""
    counts = Counter(tag for card in cards for tag in card.tags)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
