"""Pilot tests of the review screen: grading, undo, language, the empty queue."""

from __future__ import annotations

import asyncio

from textual.widgets import Markdown, Static

from tui_helpers import run_async, wait_ready
from trainer.tui.screens.review import ReviewScreen


def markdown_source(app, selector: str) -> str:  # noqa: ANN001
    return app.screen.query_one(selector, Markdown).source


def question_source(app) -> str:  # noqa: ANN001
    """The question shown (the screen holds a second one, hidden: the next card's, prepared ahead)."""
    return app.screen.question.source


@run_async
async def test_review_three_cards_and_undo_one_writes_the_store(app_factory, store) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert "Why cache **K** and **V**" in question_source(app)
        await pilot.press("5")  # before the answer is shown: ignored
        assert store.review_logs() == []
        for grade in ("5", "4", "2"):
            await pilot.press("space", grade)
            await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        assert app.screen.card.id == 13  # the undone card is shown again
        assert "sliding-window" in question_source(app)
    logs = store.review_logs()
    assert [(log.card_id, log.quality) for log in logs] == [(6, 5), (8, 4)]
    assert [log.undone for log in store.review_logs(include_undone=True)] == [False, False, True]
    states = {s.card_id: s for s in store.card_states()}
    assert set(states) == {6, 8}
    assert (states[6].easiness, states[6].interval) == (2.6, 1)
    assert (states[8].easiness, states[8].interval) == (2.5, 1)


@run_async
async def test_the_next_question_is_prepared_while_the_answer_is_read(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r", "space")
        screen = app.screen
        await asyncio.wait_for(screen.answer_built.wait(), 5)
        first = screen.question
        await screen.action_grade(2)  # card 6 comes back later, card 8 is next whatever the grade
        assert screen.card.id == 8 and screen.question is not first  # swapped in, not rebuilt
        assert "backward pass of softmax" in question_source(app) and screen.question.query("MarkdownBlock")
        assert [m.display for m in screen.query(".question")].count(True) == 1 and not first.display
        await pilot.pause()
        assert screen.question.region.height > 0 and first.region.height == 0  # laid out in the old one's place
        await pilot.press("u")  # the prediction misses: the undone card is built again
        await pilot.pause()
        assert screen.card.id == 6 and "Why cache" in question_source(app)
        assert [m.display for m in screen.query(".question")].count(True) == 1


@run_async
async def test_z_switches_the_card_language(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r", "space")
        await pilot.pause()
        assert "Why cache" in question_source(app)
        await pilot.press("z")
        await asyncio.wait_for(app.screen.answer_built.wait(), 5)
        assert "推理时为什么要缓存" in question_source(app)
        assert "每步只算新 token" in markdown_source(app, "#answer")
        assert app.screen.query_one("#answer").display  # the answer stays shown
        assert "KV 缓存" in str(app.screen.query_one("#card-title", Static).render())


@run_async
async def test_empty_queue_says_so_and_offers_the_labs(app_factory) -> None:  # noqa: ANN001
    from trainer.config import Settings

    app = app_factory(settings=Settings(new_per_day=0, language="en"))
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert not app.screen.query_one("#card").display
        message = app.screen.query_one("#empty-message", Static)
        assert message.display and "Nothing left to review today" in str(message.render())
        keys = {binding.key for _, binding, _, _ in app.screen.active_bindings.values()}
        assert {"l", "u", "escape"} <= keys and not keys & {"space", "0", "5", "o", "z"}  # only keys that work
        await pilot.press("enter")  # the focused "Open the labs" button
        await pilot.pause()
        assert type(app.screen).__name__ == "LabsScreen"


@run_async
async def test_browser_opens_a_card_with_both_sections_after_a_review(app_factory) -> None:  # noqa: ANN001
    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r", "escape", "b", "down", "enter")  # the review's styles must not leak into other screens
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "CardScreen" and screen.card.id == 8
        heading = screen.query_one("#a-heading", Static)
        assert heading.display and heading.region.height == 1 and str(heading.render()) == "Answer"
        assert "rowsum" in screen.query_one("#card-answer", Markdown).source


@run_async
async def test_q_quits_from_any_screen(app_factory, fake_lab) -> None:  # noqa: ANN001
    for keys in (("r", "space"), ("b", "enter"), ("l", "enter"), ("s",)):
        app = app_factory()
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_ready(app, pilot)
            await pilot.press(*keys)
            await pilot.pause()
            assert type(app.screen).__name__ != "DashboardScreen", keys
            await pilot.press("q")
            await pilot.pause()
        assert not app.is_running and app.return_code == 0, keys


@run_async
async def test_z_in_the_review_is_remembered_for_the_next_start(app_factory) -> None:  # noqa: ANN001
    from trainer.config import load_settings

    app = app_factory()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_ready(app, pilot)
        await pilot.press("r", "z")
        await pilot.pause()
    assert load_settings().language == "zh"  # the app started in English


@run_async
async def test_titles_take_the_room_there_is(app_factory) -> None:  # noqa: ANN001
    from dataclasses import replace

    from textual.widgets import DataTable
    from tui_helpers import full_deck

    deck = full_deck()
    long_title = "Why does a decoder need a KV cache at inference, and what does it cost?"  # 72 characters
    deck = replace(deck, cards=tuple(replace(c, title_en=long_title) if c.id == 6 else c for c in deck.cards))
    app = app_factory(deck=deck)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_ready(app, pilot)
        for key, screen_width, wanted in (("l", 80, "not yet available"), ("b", 100, long_title[:50])):
            await pilot.press(key)
            await pilot.resize_terminal(screen_width, 24)
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            widths = {str(k.value): c.get_render_width(table) for k, c in table.columns.items()}
            assert sum(widths.values()) <= table.size.width, widths  # nothing pushed off the edge
            column = "status" if key == "l" else "title"
            assert widths[column] - 2 >= len(wanted), widths
            await pilot.press("escape")
