"""`trainer export --anki`: the deck as an Anki package (.apkg), one note per card with both languages (genanki)."""

from __future__ import annotations

from pathlib import Path

from trainer.deck import Card, Deck, load_deck
from trainer.transfer import TransferError

MODEL_ID = 1_493_820_617
DECK_ID = 1_872_304_559
"""Fixed ids, so that importing a newer export into Anki updates the same note type and deck."""
DECK_NAME = "Transformer interview (trainer)"
FIELDS = ("Number", "TitleZh", "QuestionZh", "AnswerZh", "TitleEn", "QuestionEn", "AnswerEn", "Lab")
FRONT = """<div class="title">{{Number}}. {{TitleZh}}<br><span class="en">{{TitleEn}}</span></div>
<div class="zh">{{QuestionZh}}</div>
<div class="en">{{QuestionEn}}</div>"""
BACK = """{{FrontSide}}
<hr id="answer">
<div class="zh">{{AnswerZh}}</div>
<hr>
<div class="en">{{AnswerEn}}</div>
<div class="lab">Lab: <code>{{Lab}}</code></div>"""
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.title { font-weight: bold; margin-bottom: 0.8em; }
.en { color: #555; }
.lab { margin-top: 1em; font-size: 15px; }
table { border-collapse: collapse; } td, th { border: 1px solid #aaa; padding: 2px 6px; }"""


def to_html(markdown: str) -> str:
    """A card's Markdown as the HTML Anki shows (tables included; raw HTML in the card is escaped)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown).strip()


def fields(card: Card) -> list[str]:
    """The note's fields, in FIELDS order."""
    lab = f"trainer lab start {card.lab}"
    return [str(card.id), card.title_zh, to_html(card.question_zh), to_html(card.answer_zh), card.title_en,
            to_html(card.question_en), to_html(card.answer_en), lab]


def build_package(deck: Deck):  # noqa: ANN201 - genanki.Package, imported on use
    """One note per card, tagged with the card's tags and `trainer`; the note id follows the card's slug."""
    import genanki

    model = genanki.Model(
        MODEL_ID,
        "trainer card (zh + en)",
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Question and answer", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
    )
    anki_deck = genanki.Deck(DECK_ID, DECK_NAME, description="Twenty Transformer interview cards, Chinese and English.")
    for card in deck.cards:
        tags = ["trainer", *(tag.replace(" ", "_") for tag in card.tags)]
        guid = genanki.guid_for("trainer", card.slug)
        anki_deck.add_note(genanki.Note(model=model, fields=fields(card), tags=tags, guid=guid))
    return genanki.Package(anki_deck)


def export_deck(path: Path, deck: Deck | None = None) -> int:
    """Write the deck (default: the cards folder) to `path`, an .apkg file; returns the number of notes."""
    if path.suffix != ".apkg":
        raise TransferError(f"{path}: an Anki package ends in .apkg (e.g. trainer export --anki trainer.apkg).")
    deck = deck if deck is not None else load_deck()
    if not deck.cards:
        raise TransferError("the deck has no card to export; run `trainer cards --check`.")
    try:
        build_package(deck).write_to_file(str(path))
    except OSError as exc:
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}. Choose a folder you can write to.") from exc
    return len(deck.cards)
