"""Shared helpers of the TUI tests: a fixed deck and clock, async test running, waiting for the app."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Callable, Coroutine
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from trainer.catalog import LAB_SLUGS
from trainer.deck import Card, Deck
from trainer.tui.app import TrainerApp

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=timezone.utc)
CARDS = (
    (6, "kv-cache", "kv_cache", "KV 缓存", "The KV cache",
     "推理时为什么要缓存 **K** 和 **V**？", "每步只算新 token 的 q、k、v，历史 K/V 复用。",
     "Why cache **K** and **V** during decoding?",
     "Each step computes q, k, v for the new token only and reuses past keys and values:\n\n"
     "- cost per token drops from O(T^2) to O(T)\n- memory grows as `2 * n_layers * n_heads * head_dim * T`"),
    (8, "attention-gradient", "attention_gradient", "注意力的梯度", "The gradient of attention",
     "写出 softmax 的反向传播。", "dS = P * (dP - rowsum(dP * P))",
     "Write the backward pass of softmax.", "`dS = P * (dP - rowsum(dP * P))`, row by row."),
    (13, "longformer", "longformer", "Longformer 稀疏注意力", "Longformer's sparse attention",
     "滑动窗口加全局注意力的复杂度是多少？", "O(T * w)。",
     "What does sliding-window plus global attention cost?", "O(T * w) for window w, plus O(T * g) for g global tokens."),
    (16, "quantization", "quantization", "量化", "Quantization",
     "INT8 对称量化如何选 scale？", "scale = max|x| / 127。",
     "How does symmetric INT8 quantization pick its scale?", "`scale = max|x| / 127`, zero point 0."),
)


def fixed_deck() -> Deck:
    """Four cards, three of whose labs exist."""
    cards = tuple(
        Card(id=i, slug=slug, lab=lab, tags=("test",), title_zh=tz, title_en=te, question_zh=qz, answer_zh=az,
             question_en=qe, answer_en=ae, path=Path(f"/cards/{i:02d}-{slug}.md"))
        for i, slug, lab, tz, te, qz, az, qe, ae in CARDS
    )
    return Deck(cards=cards, errors=())


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)



def run_async(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function with asyncio (no pytest plugin needed); fixtures still apply."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


async def wait_ready(app: TrainerApp, pilot, seconds: float = 30) -> None:  # noqa: ANN001
    """Wait until opening the store has ended (opened or failed) and the dashboard is drawn. The store opens after
    the first frame: on a busy machine its worker may not have started when the first wait returns."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.backend.writable or app.load_error or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert app.backend.ready


def full_deck() -> Deck:
    """Twenty cards: the four detailed ones and sixteen short ones, one per lab of the catalog."""
    detailed = {c.id: c for c in fixed_deck().cards}
    cards = []
    for number, lab in enumerate(LAB_SLUGS, 1):
        words = lab.replace("_", " ")
        cards.append(detailed.get(number) or Card(
            id=number, slug=lab.replace("_", "-"), lab=lab, tags=("test",), title_zh=f"{words}（{number}）",
            title_en=words.capitalize(), question_zh=f"解释 {words}。", answer_zh=f"{words} 的要点。",
            question_en=f"Explain {words}.", answer_en=f"The key points of {words}.",
            path=Path(f"/cards/{number:02d}-{lab}.md")))
    return Deck(cards=tuple(cards), errors=())


def seed_history(store, deck: Deck, today: date, seed: int = 7) -> None:  # noqa: ANN001
    """A deterministic history: cards 1-14 introduced every fifth day from 75 days ago, every due card graded
    2-5 on its day (a few days skipped, the last week never), so some cards are due today and 15-20 are new."""
    rng = random.Random(seed)
    due: dict[int, date] = {}
    for offset in range(75, 0, -1):
        day = today - timedelta(days=offset)
        if offset > 7 and rng.random() < 0.2:
            continue
        at = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
        for card in deck.cards[:14]:
            introduced = 75 - 5 * (card.id - 1) >= offset
            if introduced and due.get(card.id, day) <= day:
                quality = rng.choice((1, 3, 4, 4, 5, 5))
                log = store.record_grade(card.id, quality, at=at, day=day, seconds=12.0)
                due[card.id] = log.after.due
                at += timedelta(minutes=1)
