"""`trainer export --anki`: the .apkg opens as Anki opens it (a zip holding the collection's SQLite) with 20 notes."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from trainer.anki import FIELDS, to_html
from trainer.cli import app
from trainer.deck import load_deck

runner = CliRunner()


def words(text: str) -> set[str]:
    """Runs of two or more letters or Chinese characters (what survives any markup)."""
    return set(re.findall(r"[A-Za-z\u4e00-\u9fff]{2,}", text))


def text_of(html: str) -> str:
    """The text of an HTML field: tags dropped, the entities markdown-it writes decoded."""
    text = re.sub(r"<[^>]+>", " ", html)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def open_collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    """What Anki does on import: unzip the package and open collection.anki2 with SQLite."""
    with zipfile.ZipFile(apkg) as package:
        assert "collection.anki2" in package.namelist()
        package.extract("collection.anki2", tmp_path / "unzipped")
    return sqlite3.connect(tmp_path / "unzipped" / "collection.anki2")


def test_the_package_holds_the_twenty_cards_with_their_fields(tmp_path: Path) -> None:
    apkg = tmp_path / "trainer.apkg"
    result = runner.invoke(app, ["export", "--anki", str(apkg)])
    assert result.exit_code == 0, result.output
    assert "wrote 20 notes" in result.output
    con = open_collection(apkg, tmp_path)
    notes = {int(flds.split("\x1f")[0]): (flds.split("\x1f"), tags.split()) for flds, tags in
             con.execute("SELECT flds, tags FROM notes")}
    models = json.loads(con.execute("SELECT models FROM col").fetchone()[0])
    decks = json.loads(con.execute("SELECT decks FROM col").fetchone()[0])
    cards = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    con.close()
    deck = load_deck()
    assert len(deck.cards) == 20 and sorted(notes) == [card.id for card in deck.cards] and cards == 20
    [model] = models.values()
    assert [field["name"] for field in model["flds"]] == list(FIELDS)
    assert "Transformer interview (trainer)" in {d["name"] for d in decks.values()}
    for card in deck.cards:
        values, tags = notes[card.id]
        field = dict(zip(FIELDS, values))
        assert (field["TitleZh"], field["TitleEn"]) == (card.title_zh, card.title_en)
        for name, markdown in (("QuestionZh", card.question_zh), ("AnswerZh", card.answer_zh),
                               ("QuestionEn", card.question_en), ("AnswerEn", card.answer_en)):
            assert field[name].startswith("<"), (card.id, name)
            assert words(markdown) - {"amp", "lt", "gt", "quot"} <= words(text_of(field[name])), (card.id, name)
        assert field["Lab"] == f"trainer lab start {card.lab}"
        assert set(tags) == {"trainer", *card.tags}


def test_markdown_becomes_html_and_raw_html_stays_text() -> None:
    html = to_html("**KV** cache `O(T)`\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n<script>x</script>")
    assert "<strong>KV</strong>" in html and "<code>O(T)</code>" in html and "<td>2</td>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_anki_package_must_end_in_apkg(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--anki", str(tmp_path / "deck.json")])
    assert result.exit_code == 2 and "ends in .apkg" in result.output
    assert not (tmp_path / "deck.json").exists()
