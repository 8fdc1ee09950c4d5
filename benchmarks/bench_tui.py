"""TUI speed: cold start of `trainer` to the interactive dashboard, and grade-to-next-card time.

Cold start runs the real console script in a tmux pane (100x30) on a TRAINER_HOME made by a first run and
stops the clock when the dashboard shows its figures (read from a snapshot; every key works from then on:
a grade waits, unseen, for the writable store, which opens ~0.5 s later), compared with
`python -c "import textual.app"`. Grade-to-next-card drives the review screen with Pilot on the real
deck and a fresh database. Targets: start ratio <= 1.5, grade-to-next median <= 16 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
READY_MARKERS = ("waiting", "Nothing due now")
"""Words of the dashboard's last line, drawn with the figures."""
MINIMAL_APP = (
    "from textual.app import App\nfrom textual.widgets import Static\n"
    "class A(App):\n    def compose(self):\n        yield Static('due today, waiting')\n"
    "    def key_q(self):\n        self.exit()\nA().run()"
)
"""The floor: the smallest Textual app drawing the same markers (what any Textual UI costs to start)."""


def time_import() -> float:
    """Seconds for `python -c "import textual.app"`."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - start


TMUX = ["tmux", "-L", f"bench-tui-{os.getpid()}"]
"""A private tmux server, kept alive by one idle session while the runs come and go."""


def capture(session: str) -> str:
    """The visible text of a tmux pane."""
    out = subprocess.run([*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True)
    return out.stdout


def time_trainer(command: list[str], home: str) -> tuple[float, float]:
    """Seconds to the first frame and to the ready dashboard of `command` in a 100x30 tmux pane; then quits it.

    tmux plays a real terminal (it answers Textual's start-up queries, which a bare pty would leave unanswered).
    """
    session = f"run-{time.monotonic_ns()}"
    env = f"TRAINER_HOME={shlex.quote(home)}"
    shell = f"cd {shlex.quote(str(ROOT))} && env {env} {' '.join(map(shlex.quote, command))}; sleep 5"
    start = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", shell], check=True)
    first = ready = 0.0
    try:
        while time.perf_counter() - start < 30:
            screen = capture(session)
            if not first and "due today" in screen:
                first = time.perf_counter() - start
            if any(marker in screen for marker in READY_MARKERS):
                ready = time.perf_counter() - start
                break
            time.sleep(0.005)
        subprocess.run([*TMUX, "send-keys", "-t", session, "q"], check=True)
        time.sleep(0.3)
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)
    if not ready:
        raise RuntimeError(f"{command} never showed the dashboard")
    return first, ready


async def time_grades(n: int) -> tuple[list[float], list[float]]:
    """Grade `n` cards: (ms for the grade action to show the next card, ms for a key press round trip)."""
    from trainer.config import Settings
    from trainer.deck import load_deck
    from trainer.store.database import Store
    from trainer.tui.app import make_app

    home = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    now = [datetime(2026, 3, 18, 10, tzinfo=timezone.utc)]
    store = Store(home / "progress.db")
    app = make_app(deck=load_deck(), store=store, settings=Settings(new_per_day=1000, language="en"),
                   clock=lambda: now[0], tz=timezone.utc)
    action_ms: list[float] = []
    press_ms: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        screen = app.screen
        for i in range(n):
            if screen.card is None:
                now[0] += timedelta(days=30)
                app.backend.review.refresh()
                await screen.show_current()
            screen.action_reveal()
            await screen.answer_built.wait()  # the learner reads the answer before grading
            await pilot.pause()
            start = time.perf_counter()
            if i % 2:
                await screen.action_grade(5)
                action_ms.append((time.perf_counter() - start) * 1000)
            else:
                await pilot.press("4")
                press_ms.append((time.perf_counter() - start) * 1000)
    store.close()
    return action_ms, press_ms


def year_of_history() -> str:
    """A TRAINER_HOME where every card of the deck was graded every day for the last 365 days (7,300 grades)."""
    from trainer.store.database import Store

    home = Path(tempfile.mkdtemp(prefix="bench-tui-year-"))
    store = Store(home / "progress.db")
    today = datetime.now(timezone.utc).date()
    for offset in range(365, 0, -1):
        day = today - timedelta(days=offset)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        for card_id in range(1, 21):
            store.record_grade(card_id, (3, 4, 5, 5, 2)[(card_id + offset) % 5], at=at, day=day)
    store.close()
    return str(home)


def main() -> None:
    """Run both measurements and print medians against the targets."""
    home = tempfile.mkdtemp(prefix="bench-tui-home-")
    trainer = [str(BIN / "trainer")]
    cases = {
        "trainer": (trainer, home),
        "trainer, a year of daily reviews": (trainer, year_of_history()),
        "python -m trainer.tui": ([sys.executable, "-m", "trainer.tui"], home),
        "a one-label Textual app": ([sys.executable, "-c", MINIMAL_APP], home),
    }
    base: list[float] = []
    starts: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    subprocess.run([*TMUX, "new-session", "-d", "-s", "keepalive", "sleep 3600"], check=True)
    try:
        for command, case_home in cases.values():  # warm the page cache and create the databases
            time_trainer(command, case_home)
        order = random.Random(0)
        for _ in range(RUNS):  # interleaved in a shuffled order, so that load and position hit every command alike
            names = ["import", *cases]
            order.shuffle(names)
            for name in names:
                if name == "import":
                    base.append(time_import())
                else:
                    command, case_home = cases[name]
                    starts[name].append(time_trainer(command, case_home))
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    b = statistics.median(base)
    print(f"python -c 'import textual.app'      median {b * 1000:6.0f} ms  ({RUNS} runs)")
    for name, runs in starts.items():
        first = statistics.median(r[0] for r in runs)
        ready = statistics.median(r[1] for r in runs)
        print(f"{name:<33} first frame {first * 1000:5.0f} ms (x{first / b:4.2f}), "
              f"figures in {ready * 1000:5.0f} ms (x{ready / b:4.2f})  target x <= 1.5")
    action_ms, press_ms = asyncio.run(time_grades(40))
    print(f"grade -> next card (action, widgets updated)  median {statistics.median(action_ms):5.1f} ms"
          f"  max {max(action_ms):5.1f} ms  (target median <= 16 ms)")
    print(f"grade -> next card (key press + Pilot's wait for idle)  median {statistics.median(press_ms):5.1f} ms"
          f"  max {max(press_ms):5.1f} ms")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
