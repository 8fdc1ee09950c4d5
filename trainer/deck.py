"""Load and validate the deck: cards/*.md with YAML front matter and four sections (zh and en question/answer).

A card file looks like::

    ---
    id: 6
    slug: kv-cache
    lab: kv_cache
    tags: [inference, memory]
    title:
      zh: ...
      en: ...
    ---

    ## 问题
    ...
    ## 答案
    ...
    ## Question
    ...
    ## Answer
    ...

Every problem becomes a `DeckError` naming the file and the line; a bad file never stops the others loading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trainer.catalog import LAB_SLUGS
from trainer.paths import cards_dir

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
SECTIONS: dict[str, str] = {"问题": "question_zh", "答案": "answer_zh", "Question": "question_en", "Answer": "answer_en"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class Card:
    """One question card, in both languages."""

    id: int
    slug: str
    lab: str
    tags: tuple[str, ...]
    title_zh: str
    title_en: str
    question_zh: str
    answer_zh: str
    question_en: str
    answer_en: str
    path: Path = field(compare=False)

    def title(self, lang: Lang) -> str:
        """The title in `lang`."""
        return self.title_zh if lang == "zh" else self.title_en

    def question(self, lang: Lang) -> str:
        """The question (Markdown) in `lang`."""
        return self.question_zh if lang == "zh" else self.question_en

    def answer(self, lang: Lang) -> str:
        """The answer (Markdown) in `lang`."""
        return self.answer_zh if lang == "zh" else self.answer_en


@dataclass(frozen=True)
class DeckError:
    """A problem in one card file, with the line it was found on (1-based)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Deck:
    """The cards that loaded (sorted by id) and the errors of those that did not."""

    cards: tuple[Card, ...]
    errors: tuple[DeckError, ...]

    def by_id(self, card_id: int) -> Card | None:
        """The card with this id, if it loaded."""
        return next((c for c in self.cards if c.id == card_id), None)


class CardError(Exception):
    """A problem found while parsing one file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_deck(folder: Path | None = None) -> Deck:
    """Load every `*.md` card in `folder` (default: the deck folder; README.md excluded), collecting errors."""
    folder = folder if folder is not None else cards_dir()
    if not folder.is_dir():
        return Deck((), (DeckError(folder, 0, "deck folder not found"),))
    cards: list[Card] = []
    errors: list[DeckError] = []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            cards.append(parse_card(path))
        except CardError as exc:
            errors.append(DeckError(path, exc.line, exc.message))
    kept, duplicates = _drop_duplicates(cards)
    errors.extend(duplicates)
    return Deck(tuple(sorted(kept, key=lambda c: c.id)), tuple(errors))


def _drop_duplicates(cards: list[Card]) -> tuple[list[Card], list[DeckError]]:
    """Keep the first card of each id and slug (by file name); report the rest."""
    seen: dict[tuple[str, object], Card] = {}
    kept: list[Card] = []
    errors: list[DeckError] = []
    for card in cards:
        clash = next((seen[k] for k in (("id", card.id), ("slug", card.slug)) if k in seen), None)
        if clash is None:
            seen[("id", card.id)] = seen[("slug", card.slug)] = card
            kept.append(card)
            continue
        what = "id" if clash.id == card.id else "slug"
        value = card.id if what == "id" else card.slug
        line = _key_line(card.path.read_text(encoding="utf-8").splitlines(), what)
        errors.append(DeckError(card.path, line, f"duplicate {what} {value!r}: already used by {clash.path.name}"))
    return kept, errors


def parse_card(path: Path) -> Card:
    """Parse one card file; raise CardError with a line number on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CardError(1, f"not UTF-8 text ({exc.reason})") from None
    lines = text.splitlines()
    end = _front_matter_end(lines)
    meta = _parse_yaml("\n".join(lines[1:end]))
    fields = _validate_meta(meta, lines[:end])
    sections = _sections(lines, end + 1)
    return Card(path=path, **fields, **sections)


def _front_matter_end(lines: list[str]) -> int:
    if not lines or lines[0].strip() != "---":
        raise CardError(1, "no front matter: the file must start with a line '---'")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return i
    raise CardError(1, "front matter is not closed: no second '---' line")


def _parse_yaml(source: str) -> dict[str, Any]:
    import yaml  # here, not at the top: a start from trainer.deck_cache never imports the parser (~25 ms)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when libyaml is there: 5x faster
    try:
        meta = yaml.load(source, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and start.line != getattr(mark, "line", None):
            problem += f" ({context} started on line {start.line + 2})"
        raise CardError(line, f"invalid YAML in front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise CardError(2, "front matter must be a YAML mapping (key: value lines)")
    return meta


def _key_line(lines: list[str], key: str) -> int:
    """1-based line of `key:` in the front matter, else 1."""
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*:")
    return next((i + 1 for i, text in enumerate(lines) if pattern.match(text)), 1)


def _validate_meta(meta: dict[str, Any], head: list[str]) -> dict[str, Any]:
    def fail(key: str, message: str) -> CardError:
        return CardError(_key_line(head, key), message)

    for key in ("id", "slug", "lab", "tags", "title"):
        if key not in meta:
            raise CardError(len(head) + 1, f"front matter lacks '{key}'")
    card_id = meta["id"]
    if not isinstance(card_id, int) or isinstance(card_id, bool) or card_id < 1:
        raise fail("id", f"id must be a positive integer, got {card_id!r}")
    slug = meta["slug"]
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise fail("slug", f"slug must be lowercase kebab-case, got {slug!r}")
    lab = meta["lab"]
    if lab not in LAB_SLUGS:
        raise fail("lab", f"unknown lab slug {lab!r} (docs/LABS.md lists the twenty labs)")
    tags = meta["tags"]
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise fail("tags", "tags must be a list of words, e.g. [attention, memory]")
    title = meta["title"]
    if not isinstance(title, dict) or not all(isinstance(title.get(lang), str) and title[lang] for lang in LANGS):
        raise fail("title", "title must have both 'zh' and 'en' entries")
    if _CJK.search(title["en"]):
        raise fail("title", "title.en contains Chinese characters")
    return {
        "id": card_id,
        "slug": slug,
        "lab": lab,
        "tags": tuple(tags),
        "title_zh": title["zh"].strip(),
        "title_en": title["en"].strip(),
    }


def _sections(lines: list[str], start: int) -> dict[str, str]:
    """The four `## ` sections by field name; each present once, in order, non-empty."""
    found: dict[str, tuple[int, list[str]]] = {}
    current: list[str] | None = None
    for number, text in enumerate(lines[start:], start=start + 1):
        if text.startswith("## "):
            heading = text[3:].strip()
            if heading not in SECTIONS:
                raise CardError(number, f"unknown section '## {heading}' (expected one of: {', '.join(SECTIONS)})")
            name = SECTIONS[heading]
            if name in found:
                raise CardError(number, f"section '## {heading}' appears twice")
            current = []
            found[name] = (number, current)
        elif current is not None:
            current.append(text)
        elif text.strip():
            raise CardError(number, "text before the first section heading")
    last_line = len(lines)
    result: dict[str, str] = {}
    for heading, name in SECTIONS.items():
        if name not in found:
            raise CardError(last_line, f"missing section '## {heading}'")
        number, body = found[name]
        content = "\n".join(body).strip()
        if not content:
            raise CardError(number, f"section '## {heading}' is empty")
        if name.endswith("_en") and (match := _CJK.search(content)):
            offset = next(i for i, t in enumerate(body) if _CJK.search(t))
            raise CardError(number + 1 + offset, f"English section '## {heading}' contains Chinese text ({match.group()!r})")
        result[name] = content
    order = [found[name][0] for name in SECTIONS.values()]
    if order != sorted(order):
        raise CardError(order[0], "sections must come in the order: " + ", ".join(f"## {h}" for h in SECTIONS))
    return result
