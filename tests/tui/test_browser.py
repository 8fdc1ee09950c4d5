"""Pilot tests of the browser: search, tag filter, suspend, bury, a card's history; more new cards today."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from textual.widgets import DataTable, Input, OptionList

from tui_helpers import NOW, full_deck, run_async, wait_ready
from trainer.tui.dialogs.more_new import MoreNewDialog
from trainer.tui.dialogs.tags import TagDialog
from trainer.tui.screens.browser import BrowserScreen


def shown_ids(app) -> list[int]:  # noqa: ANN001
    table = app.screen.query_one("#cards", DataTable)
    return [int(row.value) for row in table.rows]


async def open_browser(app, pilot) -> None:  # noqa: ANN001
    await wait_ready(app, pilot)
    await pilot.press("b")
    await pilot.pause()
    assert isinstance(app.screen, BrowserScreen)


@run_async
async def test_search_finds_either_language_and_escape_leaves_the_field_first(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_browser(app, pilot)
        assert shown_ids(app) == [6, 8, 13, 16]
        await pilot.press("slash", *"softmax")
        await pilot.pause()
        assert app.screen.query_one("#search", Input).has_focus and shown_ids(app) == [8]
        await pilot.press("ctrl+u", *"缓存")
        await pilot.pause()
        assert shown_ids(app) == [6]  # Chinese text, found in card 6's title and question
        await pilot.press("ctrl+u", *"O(T * w)")
        await pilot.pause()
        assert shown_ids(app) == [13]
        await pilot.press("escape")
        assert app.screen.query_one("#cards", DataTable).has_focus and isinstance(app.screen, BrowserScreen)
        assert "1/4 cards" in str(app.screen.query_one("#browser-count").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, BrowserScreen)


@run_async
async def test_the_tag_filter(app_factory) -> None:  # noqa: ANN001
    from trainer.deck import Deck

    tagged = Deck(cards=tuple(c if c.id % 5 else replace(c, tags=("test", "fifth")) for c in full_deck().cards),
                  errors=())
    app = app_factory(deck=tagged)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_browser(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TagDialog)
        options = app.screen.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "every card (20)", "test (20)", "fifth (4)"]
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert shown_ids(app) == [5, 10, 15, 20]
        assert "tag: fifth" in str(app.screen.query_one("#browser-count").render())
        await pilot.press("t", "escape")  # escape keeps the filter
        await pilot.pause()
        assert shown_ids(app) == [5, 10, 15, 20]
        await pilot.press("t", "up", "up", "enter")
        await pilot.pause()
        assert len(shown_ids(app)) == 20


@run_async
async def test_suspend_and_bury_from_the_browser_change_the_queue(app_factory, store, clock) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_browser(app, pilot)
        assert [r[0] for r in app.backend.review.queue_rows()] == [6, 8, 13, 16]
        await pilot.press("s")  # card 6
        await pilot.pause()
        await pilot.press("down", "b")  # card 8
        await pilot.pause()
        assert [f.card_id for f in store.card_flags()] == [6, 8]
        assert store.card_flags()[0].suspended and store.card_flags()[1].buried_on == NOW.date()
        assert [r[0] for r in app.backend.review.queue_rows()] == [13, 16]
        table = app.screen.query_one("#cards", DataTable)
        assert [str(table.get_row_at(i)[4]) for i in range(2)] == ["suspended", "buried"]
        await pilot.press("b")  # unbury card 8
        await pilot.pause()
        assert [r[0] for r in app.backend.review.queue_rows()] == [8, 13, 16]
        await pilot.press("b")
        await pilot.pause()
        clock.advance(days=1)
        assert app.backend.review.current().id == 8 and [r[0] for r in app.backend.review.queue_rows()] == [8, 13, 16]
        await pilot.press("up", "s")  # release card 6
        await pilot.pause()
        assert store.card_flags()[0].card_id == 8 and not store.card_flags()[0].suspended
        assert [r[0] for r in app.backend.review.queue_rows()] == [6, 8, 13, 16]


@run_async
async def test_a_cards_history_from_the_browser(app_factory, store) -> None:  # noqa: ANN001
    day = NOW.date()
    store.record_grade(8, 5, at=NOW - timedelta(days=7), day=day - timedelta(days=7))
    store.record_grade(8, 2, at=NOW - timedelta(days=6), day=day - timedelta(days=6))
    store.record_grade(8, 4, at=NOW - timedelta(days=6, minutes=-5), day=day - timedelta(days=6))
    store.record_grade(6, 4, at=NOW - timedelta(days=3), day=day - timedelta(days=3))
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_browser(app, pilot)
        await pilot.press("down", "h")
        await pilot.pause()
        assert type(app.screen).__name__ == "HistoryScreen" and app.screen.card.id == 8
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["2026-03-11", "2026-03-12", "2026-03-12"]
        assert [r[2] for r in rows] == ["5 perfect", "2 wrong but seemed easy", "4 hesitated"]
        assert [(r[3], r[4]) for r in rows] == [("1 d", "2.60"), ("1 d", "2.60"), ("1 d", "2.60")]
        assert [r[5] for r in rows] == ["first review", "", "repeat: no change"]
        assert "3 grade(s)" in str(app.screen.query_one("#history-summary").render())
        await pilot.press("o")
        await pilot.pause()
        assert type(app.screen).__name__ == "CardScreen" and app.screen.card.id == 8


@run_async
async def test_every_browser_action_has_a_key_in_the_footer(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(120, 32)) as pilot:
        await open_browser(app, pilot)
        shown = {binding.action for (_, binding, enabled, _) in app.screen.active_bindings.values() if binding.show}
        assert {b.action for b in BrowserScreen.BINDINGS} <= shown


@run_async
async def test_more_new_cards_from_the_dashboard_and_the_empty_review(app_factory) -> None:  # noqa: ANN001
    from trainer.config import Settings

    app = app_factory(deck=full_deck(), settings=Settings(new_per_day=2, language="en"))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        assert app.backend.review.summary().new == 2
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MoreNewDialog)
        await pilot.press("ctrl+u", "0", "enter")  # not a count: the dialog stays and says so
        await pilot.pause()
        assert isinstance(app.screen, MoreNewDialog) and "1 to 100" in str(app.screen.query_one("#more-hint").render())
        await pilot.press("ctrl+u", "3", "enter")
        await pilot.pause()
        assert app.backend.review.summary().new == 5
        assert str(app.screen.query_one("#new-count").value) == "5"
        await pilot.press("r")
        await pilot.pause()
        for _ in range(5):
            await pilot.press("space", "5")
            await pilot.pause()
        assert app.screen.card is None
        await pilot.press("n", "ctrl+u", "2", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.card is not None and app.screen.card.id == 6  # cards 1-5 are done: 6 is the next new one
        assert app.backend.review.remaining == 2
