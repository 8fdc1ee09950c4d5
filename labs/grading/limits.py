"""Time limits inside a test, for "this must be a closed formula" checks (SIGALRM, main thread only).

The limit nests: an outer timer that was running (another limit, or the grader's own) is restored with
what was left of it when the block ends.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class TimeLimitExceeded(AssertionError):
    """A block ran past its limit; the message says what the learner should do instead."""


@contextmanager
def time_limit(seconds: float, message: str) -> Iterator[None]:
    """Fail with `message` if the block runs longer than `seconds` (no limit outside the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(message)

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if outer_delay:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), outer_interval)
