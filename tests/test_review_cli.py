"""ReviewService and the `due`, `review --plain`, `undo` commands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from trainer.cli import app
from trainer.cli import review_cmd
from trainer.config import Settings, save_settings
from trainer.review import ReviewService
from trainer.store.database import open_store

runner = CliRunner()
UTC = timezone.utc


@dataclass(frozen=True)
class FakeCard:
    """The parts of deck.Card the review uses."""

    id: int

    def title(self, lang: str) -> str:
        return f"title {self.id} {lang}"

    def question(self, lang: str) -> str:
        return f"question {self.id} {lang}"

    def answer(self, lang: str) -> str:
        return f"answer {self.id} {lang}"


CARDS = [FakeCard(i) for i in range(1, 9)]


class Clock:
    """A settable UTC clock."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))


def service(clock: Clock, new_per_day: int = 3) -> ReviewService:
    return ReviewService(CARDS, open_store(), Settings(new_per_day=new_per_day), now=clock, tz=UTC)


def test_first_day_shows_new_cards_up_to_the_limit(clock: Clock) -> None:
    svc = service(clock)
    assert [c.id for _, c, _ in svc.queue_rows()] == [1, 2, 3]
    assert svc.summary().new == 3 and svc.summary().due == 0 and svc.remaining == 3


def test_cards_below_four_come_back_and_only_the_first_grade_schedules(clock: Clock) -> None:
    svc = service(clock)
    first = svc.grade(2, seconds=4)
    assert first.first_of_day and first.requeued and first.card.id == 1
    assert [svc.grade(5).card.id, svc.grade(4).card.id] == [2, 3]
    repeat = svc.grade(3)
    assert repeat.card.id == 1 and repeat.log.is_repeat and repeat.requeued
    last = svc.grade(4)
    assert last.card.id == 1 and last.log.is_repeat and not last.requeued
    assert svc.current() is None and svc.done_today == 5
    assert open_store().card_state(1) == first.after  # repeats never changed the schedule


@pytest.mark.parametrize("grades", [[5, 5, 5], [2, 5, 1, 4, 3, 0, 5], [0, 0, 4, 1, 1, 1, 5, 5]])
def test_upcoming_is_the_card_current_after_any_grade(clock: Clock, grades: list[int]) -> None:
    svc = service(clock)
    for quality in grades:
        predicted = svc.upcoming()
        before = svc.current()
        svc.grade(quality)
        if predicted is not None:
            assert svc.current() is predicted and predicted is not before
        else:  # one showing was left: it comes back only when graded below 4
            assert svc.current() is (before if quality < 4 else None)
    assert svc.current() is None and svc.upcoming() is None


def test_the_daily_new_limit_holds_across_restarts(clock: Clock) -> None:
    svc = service(clock)
    svc.grade(5)
    svc.grade(1)
    again = service(clock)  # a second process, or a restart: same day
    assert [c.id for _, c, _ in again.queue_rows()] == [3, 2]
    assert not again.is_first_today(2) and again.is_first_today(3)


def test_next_learning_day_brings_due_cards_first(clock: Clock) -> None:
    svc = service(clock, new_per_day=2)
    svc.grade(5)
    svc.grade(4)
    clock.moment += timedelta(days=1)
    assert svc.current() is not None
    assert [c.id for _, c, _ in svc.queue_rows()] == [1, 2, 3, 4]
    assert svc.summary() == svc.summary().__class__(date(2026, 6, 2), 2, 2, 0, 0, 4)


def test_a_late_night_grade_counts_for_the_day_before(clock: Clock) -> None:
    clock.moment = datetime(2026, 6, 2, 1, 30, tzinfo=UTC)
    log = service(clock).grade(5).log
    assert log.day == date(2026, 6, 1) and log.after.due == date(2026, 6, 2)


def test_undo_shows_the_card_again_and_can_repeat(clock: Clock) -> None:
    svc = service(clock)
    svc.grade(5)
    svc.grade(4)
    undone = svc.undo()
    assert undone is not None and undone.card.id == 2 and undone.restored is None
    assert svc.current().id == 2
    assert svc.undo().card.id == 1 and svc.current().id == 1
    assert svc.undo() is None
    assert open_store().card_states() == []


def test_bad_grade_raises_and_writes_nothing(clock: Clock) -> None:
    svc = service(clock)
    with pytest.raises(ValueError):
        svc.grade(7)
    assert open_store().review_logs(include_undone=True) == [] and svc.current().id == 1


def test_study_more_new_cards_today_until_the_day_ends(clock: Clock) -> None:
    svc = service(clock)
    svc.grade(5)
    assert svc.study_more_new(2) == 2
    assert [c.id for _, c, _ in svc.queue_rows()] == [2, 3, 4, 5]
    assert svc.study_more_new(10) == 3  # cards 6, 7, 8: the deck has no more
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError):
            svc.study_more_new(bad)  # type: ignore[arg-type]
    clock.moment += timedelta(days=1)
    assert svc.current() is not None and svc.summary().new == 3  # a new learning day: back to new_per_day


def test_a_suspended_or_buried_card_leaves_todays_session(clock: Clock) -> None:
    svc = service(clock)
    svc.grade(2)  # card 1 comes back later today
    store = open_store()
    store.set_buried(1, svc.today())
    store.set_suspended(3, True)
    svc.refresh()
    assert [c.id for _, c, _ in svc.queue_rows()] == [2, 4]
    clock.moment += timedelta(days=1)  # card 1 (due again after one day) is back; card 3 stays out
    assert svc.current().id == 1
    assert [c.id for _, c, _ in svc.queue_rows()] == [1, 2, 4, 5]


@pytest.fixture
def fake_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_cmd, "load_cards", lambda: CARDS)


def acks(output: str) -> list[str]:
    return re.findall(r"^saved: card (\d+) graded (\d)", output, flags=re.M)


def test_plain_review_through_a_pipe(fake_deck: None) -> None:
    result = runner.invoke(app, ["review", "--plain", "--lang", "en"], input="\n5\n\n2\n4\n")
    assert result.exit_code == 0, result.output
    assert "question 1 en" in result.output and "answer 1 en" in result.output
    assert acks(result.output) == [("1", "5"), ("2", "2"), ("3", "4")]
    assert "back later today" in result.output
    assert [(log.card_id, log.quality) for log in open_store().review_logs()] == [(1, 5), (2, 2), (3, 4)]
    assert "Bye: 3 grade(s) saved" in result.output  # EOF quits cleanly


@pytest.mark.parametrize("bad", ["7", "x", "-1", "55", "4.5"])
def test_plain_review_rejects_bad_grades(fake_deck: None, bad: str) -> None:
    result = runner.invoke(app, ["review", "--plain"], input=f"\n{bad}\nq\n")
    assert result.exit_code == 0
    assert "one digit from 0 to 5" in result.output and "nothing saved" in result.output
    assert open_store().review_logs(include_undone=True) == []


def test_plain_review_undo_and_quit(fake_deck: None) -> None:
    result = runner.invoke(app, ["review", "--plain"], input="5\nu\nq\n5\n")
    assert result.exit_code == 0
    assert "undone: card 1 grade 5" in result.output
    logs = open_store().review_logs(include_undone=True)
    assert len(logs) == 1 and logs[0].undone  # q stopped before the last line


def test_plain_review_says_when_done(fake_deck: None) -> None:
    save_settings(Settings(new_per_day=1))
    result = runner.invoke(app, ["review", "--plain"], input="5\n")
    assert "Done for today: 1 grade(s)" in result.output


def test_due_lists_todays_queue(fake_deck: None) -> None:
    runner.invoke(app, ["review", "--plain"], input="5\n")
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 0
    assert "4 new" in result.output and "title 5 zh" in result.output and "title 1 zh" not in result.output


def test_undo_command(fake_deck: None) -> None:
    assert "nothing to undo" in runner.invoke(app, ["undo"]).output
    runner.invoke(app, ["review", "--plain"], input="4\n3\n")
    assert "undone: card 2 grade 3" in runner.invoke(app, ["undo"]).output
    assert "card 1 grade 4" in runner.invoke(app, ["undo"]).output
    assert [log.undone for log in open_store().review_logs(include_undone=True)] == [True, True]


def test_a_broken_database_gives_a_clear_error(fake_deck: None, trainer_home) -> None:  # noqa: ANN001
    trainer_home.mkdir(parents=True, exist_ok=True)
    (trainer_home / "progress.db").write_text("not sqlite " * 100)
    result = runner.invoke(app, ["due"])
    assert result.exit_code == 2 and "is not an SQLite database" in result.output


def test_plain_review_on_the_real_deck() -> None:
    result = runner.invoke(app, ["review", "--plain", "--lang", "en"], input="\n5\nq\n")
    assert result.exit_code == 0, result.output
    assert acks(result.output) == [("1", "5")]
    assert "Transformer" in result.output


def test_plain_review_with_more_new_cards(fake_deck: None) -> None:
    save_settings(Settings(new_per_day=1))
    result = runner.invoke(app, ["review", "--plain", "--new", "2"], input="5\n5\n5\n")
    assert result.exit_code == 0, result.output
    assert "2 more new card(s) today." in result.output
    assert acks(result.output) == [("1", "5"), ("2", "5"), ("3", "5")] and "Done for today" in result.output
    result = runner.invoke(app, ["review", "--plain", "--new", "9"], input="q\n")
    assert "5 more new card(s) today (no other new card is left)." in result.output
    assert runner.invoke(app, ["review", "--plain", "--new", "-1"]).exit_code == 2


def test_review_in_a_terminal_opens_the_full_screen_review(fake_deck: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.launcher

    opened: list[tuple[str | None, str | None]] = []
    monkeypatch.setattr(review_cmd, "interactive", lambda: True)
    monkeypatch.setattr(trainer.launcher, "open_tui", lambda first=None, lang=None: opened.append((first, lang)) or 0)
    result = runner.invoke(app, ["review", "--lang", "en"], input="5\n")
    assert result.exit_code == 0 and opened == [("review", "en")]
    assert result.output == "" and open_store().review_logs() == []  # no plain review ran


def test_review_through_a_pipe_is_the_plain_one_without_a_word_about_it(fake_deck: None) -> None:
    result = runner.invoke(app, ["review"], input="\n5\nq\n")
    assert result.exit_code == 0 and acks(result.output) == [("1", "5")]
    assert "full-screen" not in result.output


def test_due_with_nothing_left_is_one_line_saying_what_comes_next(fake_deck: None) -> None:
    save_settings(Settings(new_per_day=1))
    runner.invoke(app, ["review", "--plain"], input="5\n")
    result = runner.invoke(app, ["due"], env={"COLUMNS": "60"})
    assert result.exit_code == 0
    (line,) = result.output.splitlines()
    assert "nothing left to review (1 done)" in line and "Next: card 1 on " in line and "┏" not in line


def test_due_shows_a_card_to_repeat_as_again_today(fake_deck: None) -> None:
    save_settings(Settings(new_per_day=1))
    runner.invoke(app, ["review", "--plain"], input="2\n")  # below 4: it comes back today
    result = runner.invoke(app, ["due"], env={"COLUMNS": "100"})
    assert "1 to repeat" in result.output and "again today" in result.output
    assert (open_store().card_state(1).due.isoformat()) not in result.output  # not tomorrow's date


def test_due_names_the_card_files_it_left_out(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from tests.test_deck import good, write

    write(tmp_path, "01-kv-cache.md", good(1))
    write(tmp_path, "02-broken.md", "no front matter here\n")
    monkeypatch.setenv("TRAINER_CARDS", str(tmp_path))
    result = runner.invoke(app, ["due"], env={"COLUMNS": "100"})
    assert result.exit_code == 0 and "1 new" in result.stdout
    assert "1 card file(s) left out" in result.stderr and "02-broken.md" in result.stderr
    assert "trainer cards --check" in result.stderr
