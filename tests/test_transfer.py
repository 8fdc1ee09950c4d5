"""`trainer export` / `trainer import`: lossless round trips, --merge without duplicates, and every bad file refused."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app
from trainer.config import Settings, load_settings, save_settings
from trainer.deck import load_deck
from trainer.labs.workspace import hints_state, save_hints
from trainer.review import ReviewService
from trainer.store.database import close_all, open_store
from trainer.transfer import FORMAT_VERSION

runner = CliRunner()
NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
DAY = date(2026, 5, 20)


def use_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Point TRAINER_HOME at `home` (the stores opened so far stay open, keyed by their own path)."""
    monkeypatch.setenv("TRAINER_HOME", str(home))
    return home


def seed_progress(start: datetime = NOW, cards: tuple[int, ...] = (1, 2, 3, 6)) -> None:
    """Grades over three days (a lapse, a same-day repeat, an undo), two lab checks, a flag, settings, hints."""
    store = open_store()
    for offset in range(3):
        at = start + timedelta(days=offset)
        for card_id in cards:
            store.record_grade(card_id, (card_id + offset) % 6, at=at, day=at.date(), seconds=2.5)
            at += timedelta(minutes=1)
    store.record_grade(cards[0], 2, at=start + timedelta(days=2, hours=1), day=(start + timedelta(days=2)).date())
    store.undo_last()
    store.add_lab_attempt("kv_cache", started_at=start, file_sha256="ab" * 32, outcome="failed", passed=3, failed=2)
    store.add_lab_event("kv_cache", "start", at=start - timedelta(minutes=5), day=start.date())
    store.add_lab_event("kv_cache", "hint", at=start + timedelta(hours=1), day=start.date(), detail="1")
    store.add_lab_attempt("kv_cache", started_at=start + timedelta(hours=2), file_sha256="cd" * 32, outcome="passed",
                          passed=5, seconds=4.25, device="cuda", day=start.date())
    store.add_lab_attempt("kv_cache", started_at=start + timedelta(hours=3), file_sha256="ef" * 32, outcome="passed",
                          passed=5, own_file=False)
    store.set_suspended(9, True)
    store.set_buried(cards[1], DAY + timedelta(days=2))
    save_settings(Settings(new_per_day=7, rollover_hour=3, language="en"))
    save_hints({"kv_cache": 2, "longformer": 1})


def queue(today: datetime) -> list[tuple[int, object]]:
    """Today's queue on the real deck: card ids with their states."""
    service = ReviewService(load_deck().cards, open_store(), load_settings(), now=lambda: today, tz=timezone.utc)
    return [(cid, state) for cid, _, state in service.queue_rows()]


def export(path: Path) -> str:
    result = runner.invoke(app, ["export", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def test_export_import_export_gives_the_same_file_and_the_same_queue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_home(monkeypatch, tmp_path / "a")
    seed_progress()
    first = export(tmp_path / "progress.json")
    later = NOW + timedelta(days=4)
    expected_queue = queue(later)
    stats_in_a = runner.invoke(app, ["stats", "--json"]).output
    use_home(monkeypatch, tmp_path / "b")
    result = runner.invoke(app, ["import", str(tmp_path / "progress.json")])
    assert result.exit_code == 0, result.output
    assert ("imported 4 card states, 2 card flags, 13 reviews, 3 lab attempts, 2 lab events, 1 lab schedules, "
            "1 lab reviews") in result.output
    assert export(tmp_path / "again.json") == first
    assert queue(later) == expected_queue and expected_queue
    assert runner.invoke(app, ["stats", "--json"]).output == stats_in_a

    assert load_settings() == Settings(new_per_day=7, rollover_hour=3, language="en")
    assert hints_state() == {"kv_cache": 2, "longformer": 1}
    document = json.loads(first)
    assert (document["format"], document["version"]) == ("trainer-progress", FORMAT_VERSION)
    assert [row["undone"] for row in document["tables"]["review_log"]].count(1) == 1


def test_import_refuses_a_home_with_progress_unless_merge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_home(monkeypatch, tmp_path / "a")
    seed_progress()
    export(tmp_path / "a.json")
    use_home(monkeypatch, tmp_path / "b")
    open_store().record_grade(5, 4, at=NOW, day=DAY)
    before = export(tmp_path / "b-before.json")
    result = runner.invoke(app, ["import", str(tmp_path / "a.json")])
    assert result.exit_code == 2
    assert "already holds progress (1 rows in card_state, 1 rows in review_log)" in result.output
    assert "--merge" in result.output and export(tmp_path / "b-after.json") == before
    save_hints({"kv_cache": 1})  # hints alone are progress too
    close_all()
    use_home(monkeypatch, tmp_path / "c")
    save_hints({"kv_cache": 1})
    assert runner.invoke(app, ["import", str(tmp_path / "a.json")]).exit_code == 2
    assert set(open_store().table_counts().values()) == {0}


def test_merge_adds_what_is_missing_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_home(monkeypatch, tmp_path / "a")
    seed_progress(NOW, cards=(1, 2))
    export(tmp_path / "a.json")
    use_home(monkeypatch, tmp_path / "b")
    seed_progress(NOW + timedelta(hours=5), cards=(2, 4))  # card 2 graded later here: its state here is newer
    save_settings(Settings(new_per_day=2))
    save_hints({"kv_cache": 3})
    mine = open_store().card_state(2)
    for _ in range(2):  # a second merge adds nothing
        result = runner.invoke(app, ["import", "--merge", str(tmp_path / "a.json")])
        assert result.exit_code == 0, result.output
    assert ("added 0 card states, 0 card flags, 0 reviews, 0 lab attempts, 0 lab events, 0 lab schedules, "
            "0 lab reviews; your settings kept") in result.output
    store = open_store()
    logs = store.review_logs(include_undone=True)
    assert len(logs) == 14 and len({(log.card_id, log.reviewed_at) for log in logs}) == 14
    assert [log.reviewed_at for log in logs] == sorted(log.reviewed_at for log in logs)  # renumbered in time order
    assert [log.id for log in logs] == list(range(1, 15))
    assert {s.card_id for s in store.card_states()} == {1, 2, 4} and store.card_state(2) == mine
    assert len(store.lab_attempts()) == 6 and load_settings() == Settings(new_per_day=2)
    assert hints_state() == {"kv_cache": 3, "longformer": 1}
    latest = max(logs, key=lambda log: (log.undone is False, log.reviewed_at))
    assert store.undo_last().log.reviewed_at == latest.reviewed_at  # undo takes back the latest grade


def test_merge_takes_the_newer_state_of_a_card(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_home(monkeypatch, tmp_path / "a")
    open_store().record_grade(3, 5, at=NOW + timedelta(days=1), day=DAY + timedelta(days=1))
    export(tmp_path / "a.json")
    newer = open_store().card_state(3)
    use_home(monkeypatch, tmp_path / "b")
    open_store().record_grade(3, 1, at=NOW, day=DAY)
    assert runner.invoke(app, ["import", "--merge", str(tmp_path / "a.json")]).exit_code == 0
    assert open_store().card_state(3) == newer and len(open_store().review_logs()) == 2


def good_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A valid export of a small history, made in a home of its own."""
    home = use_home(monkeypatch, tmp_path / "source")
    seed_progress()
    document = json.loads(export(tmp_path / "good.json"))
    close_all()
    use_home(monkeypatch, tmp_path / "empty")
    assert not (tmp_path / "empty").exists() and home.exists()
    return document


def change(document: dict, edit: str) -> str:
    """The document with one thing broken, as text."""
    tables = document["tables"]
    if edit == "newer version":
        document["version"] = FORMAT_VERSION + 1
    elif edit == "unknown cards":
        tables["review_log"][3]["card_id"] = 99
        tables["card_state"][0]["card_id"] = 21
    elif edit == "not a trainer file":
        document["format"] = "something-else"
    elif edit == "a date that is not a date":
        tables["card_state"][1]["due"] = "next Tuesday"
    elif edit == "a missing column":
        del tables["review_log"][0]["quality"]
    elif edit == "an unknown table":
        tables["decks"] = []
    elif edit == "an unknown setting":
        document["settings"]["colour"] = "blue"
    elif edit == "a bad setting":
        document["settings"]["new_per_day"] = -3
    elif edit == "hints of an unknown lab":
        document["hints"]["not_a_lab"] = 1
    elif edit == "an unknown lab":
        tables["lab_attempt"][0]["slug"] = "not_a_lab"
    elif edit == "a duplicate id":
        tables["review_log"][1]["id"] = tables["review_log"][0]["id"]
    return json.dumps(document)


BAD_TEXTS = {
    "not JSON": ("this is a note, not an export\n", "is not JSON"),
    "an empty file": ("", "is empty"),
    "JSON that is not an export": ("[1, 2, 3]", "not a trainer progress file"),
}
BAD_EDITS = {
    "newer version": f"written by a newer trainer (format version {FORMAT_VERSION + 1}; this one reads up to "
                     f"{FORMAT_VERSION})",
    "unknown cards": "rows name card_id 21, 99, unknown here",
    "not a trainer file": "not a trainer progress file",
    "a date that is not a date": "table card_state, row 2: column due holds 'next Tuesday', not a date",
    "a missing column": "table review_log, row 1: missing column(s) quality",
    "an unknown table": "unknown table(s) decks",
    "an unknown setting": "unknown setting(s) colour",
    "a bad setting": "new_per_day must be a whole number from 0 to 1000",
    "hints of an unknown lab": "unknown lab 'not_a_lab'",
    "an unknown lab": "rows name slug not_a_lab, unknown here",
    "a duplicate id": "UNIQUE constraint failed: review_log.id",
}


def assert_nothing_written(home: Path) -> None:
    assert not (home / "config.toml").exists() and not (home / "hints.json").exists()
    if (home / "progress.db").exists():
        assert not any(open_store().table_counts().values())


@pytest.mark.parametrize("name", sorted(BAD_TEXTS))
def test_a_file_that_is_not_an_export_is_refused(name: str, tmp_path: Path, trainer_home: Path) -> None:
    text, message = BAD_TEXTS[name]
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2 and message in result.output and str(path) in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert_nothing_written(trainer_home)


@pytest.mark.parametrize("name", sorted(BAD_EDITS))
def test_a_damaged_export_is_refused_and_nothing_is_written(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(change(good_document(tmp_path, monkeypatch), name), encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2, result.output
    assert BAD_EDITS[name] in result.output and "Nothing was written" in result.output
    assert_nothing_written(tmp_path / "empty")


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_a_truncated_export_is_refused(cut: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(good_document(tmp_path, monkeypatch), indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2 and "the file is truncated" in result.output
    assert_nothing_written(tmp_path / "empty")


def test_export_to_a_folder_that_does_not_exist_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(tmp_path / "no" / "such" / "folder.json")])
    assert result.exit_code == 2 and "cannot write" in result.output and "No such file" in result.output


def test_a_settings_file_that_cannot_be_written_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = good_document(tmp_path, monkeypatch)
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good), encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "empty" / "config.toml"))

    monkeypatch.setattr("trainer.transfer.save_settings", refuse)
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2 and "config.toml could not be written (Permission denied)" in result.output
    assert "Traceback" not in result.output and "--merge" in result.output


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "progress"


def test_a_version_1_file_still_imports_and_its_passed_lab_joins_the_schedule(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(FIXTURES / "export-v1.json")])
    assert result.exit_code == 0, result.output
    assert "3 lab attempts, 0 lab events, 0 lab schedules, 0 lab reviews" in result.output  # rows from the file
    store = open_store()
    assert [(a.own_file, a.round) for a in store.lab_attempts()] == [(True, 0)] * 3
    (review,) = store.lab_reviews()  # kv_cache failed once, then passed: 4, due the next day
    assert (review.slug, review.round, review.quality, review.checks, review.failed) == ("kv_cache", 0, 4, 2, 1)
    assert store.lab_state("kv_cache").due == date(2026, 5, 2) and store.lab_state("attention_gradient") is None
    document = json.loads(export(tmp_path / "again.json"))
    assert document["version"] == FORMAT_VERSION and len(document["tables"]["lab_review"]) == 1


def test_merge_adds_lab_events_and_graded_rounds_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_home(monkeypatch, tmp_path / "a")
    seed_progress()
    export(tmp_path / "a.json")
    use_home(monkeypatch, tmp_path / "b")
    open_store().add_lab_event("longformer", "start", at=NOW, day=DAY)
    for _ in range(2):
        result = runner.invoke(app, ["import", "--merge", str(tmp_path / "a.json")])
        assert result.exit_code == 0, result.output
    store = open_store()
    assert [(e.slug, e.kind) for e in store.lab_events()] == [("kv_cache", "start"), ("longformer", "start"),
                                                              ("kv_cache", "hint")]  # fmt: skip
    assert [(r.slug, r.quality) for r in store.lab_reviews()] == [("kv_cache", 3)]
    assert store.lab_state("kv_cache").interval == 1


def test_the_format_document_names_the_version_and_every_table() -> None:
    from trainer.store.transfer import TABLES

    text = (Path(__file__).resolve().parent.parent / "docs" / "EXPORT_FORMAT.md").read_text(encoding="utf-8")
    assert f"(format version {FORMAT_VERSION})" in text and f'"version": {FORMAT_VERSION},' in text
    for table in TABLES:
        assert f"| `{table.name}` |" in text and f'"{table.name}": [' in text, table.name
