"""The current time, looked up at each call: the commands and their tests agree on "now" through this one function."""

from __future__ import annotations

from datetime import date, datetime, timezone

from trainer.srs import learning_day


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


def today(rollover_hour: int) -> date:
    """The current learning day (local time, turning over at `rollover_hour`)."""
    return learning_day(utc_now(), rollover_hour)
