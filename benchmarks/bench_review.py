"""Today's queue and one committed grade against 100,000 cards and 1,000,000 review-log rows."""

from __future__ import annotations

import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

N_CARDS = 100_000
N_REVIEWED = 95_000  # the other 5,000 are new
N_LOGS = 1_000_000
RUNS = 50
GRADE_RUNS = 200


@dataclass(frozen=True)
class BenchCard:
    """A card with only an id (the review never reads the text here)."""

    id: int


def build(path: Path, today: date, rng: random.Random) -> None:
    """Fill card_state and review_log with bulk inserts (executemany in one transaction)."""
    from trainer.store.database import open_store

    open_store(path)  # creates the schema at the current version
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    reviewed = rng.sample(range(1, N_CARDS + 1), N_REVIEWED)
    # Due days spread from 30 days overdue to a year ahead: about 8% due today.
    states = [
        (cid, rng.randint(130, 300), rng.randint(1, 12), rng.randint(1, 400),
         (today + timedelta(days=rng.randint(-30, 365))).isoformat(), rng.randint(0, 3), "2026-01-01 08:00:00.000000")
        for cid in reviewed
    ]
    con.executemany("INSERT INTO card_state VALUES (?, ?, ?, ?, ?, ?, ?)", states)
    first_day = today - timedelta(days=N_LOGS // 1440 + 2)

    def logs():  # one review a minute, 1,440 a day, ending before today
        for i in range(N_LOGS):
            d, minute = divmod(i, 1440)
            day = (first_day + timedelta(days=d)).isoformat()
            stamp = f"{day} {minute // 60:02d}:{minute % 60:02d}:00.000000"
            cid = reviewed[i % N_REVIEWED]
            yield (i + 1, cid, stamp, day, 4, 250, 2, 6, day, 0, stamp, 250, 3, 15, day, 0, stamp, 7.5, 0, 0)

    con.executemany(f"INSERT INTO review_log VALUES ({', '.join('?' * 20)})", logs())
    con.commit()
    con.execute("ANALYZE")
    con.close()


def cpu_model() -> str:
    """The CPU's model name where /proc/cpuinfo tells it, else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    """Build the data, time the queue and the grade, print the machine and the medians."""
    home = Path(tempfile.mkdtemp(prefix="trainer-bench-"))
    os.environ["TRAINER_HOME"] = str(home)
    from trainer.config import Settings
    from trainer.review import ReviewService
    from trainer.srs import learning_day
    from trainer.store.database import close_all, open_store

    rng = random.Random(1)
    path = home / "progress.db"
    now = datetime.now(timezone.utc)
    today = learning_day(now)
    t0 = time.perf_counter()
    build(path, today, rng)
    build_s = time.perf_counter() - t0
    close_all()

    store = open_store(path)
    cards = [BenchCard(i) for i in range(1, N_CARDS + 1)]
    service = ReviewService(cards, store, Settings(new_per_day=5), now=lambda: now)

    queue_times, due_times = [], []
    for _ in range(RUNS):
        t = time.perf_counter()
        service.refresh()
        queue_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.due_cards(today)
        due_times.append(time.perf_counter() - t)
    summary = service.summary()

    grade_times, service_times = [], []
    due_ids = [cid for cid, _ in store.due_cards(today)]
    for i in range(GRADE_RUNS):
        t = time.perf_counter()
        store.record_grade(due_ids[i], rng.randint(0, 5), at=now, day=today, seconds=5.0)
        grade_times.append(time.perf_counter() - t)
    for _ in range(GRADE_RUNS):
        t = time.perf_counter()
        service.grade(rng.randint(3, 5), seconds=5.0)
        service_times.append(time.perf_counter() - t)

    print(f"machine: {platform.platform()}, {cpu_model()}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")
    print(f"data: {N_CARDS:,} cards ({N_REVIEWED:,} reviewed, {summary.due:,} due today), "
          f"{N_LOGS:,} review-log rows; built in {build_s:.1f} s; {path.stat().st_size / 1e6:.0f} MB")
    print(f"today's queue (ReviewService.refresh, {RUNS} runs): median {median_ms(queue_times):.1f} ms "
          f"(target <= 50 ms); due query alone {median_ms(due_times):.1f} ms")
    print(f"one grade committed (Store.record_grade, {GRADE_RUNS} runs, synchronous=FULL): "
          f"median {median_ms(grade_times):.2f} ms "
          f"(target <= 5 ms); via ReviewService.grade {median_ms(service_times):.2f} ms")
    close_all()
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
