"""`trainer stats`: Rich figures without the TUI, and `--json` in the documented shape."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from typer.testing import CliRunner

from trainer.cli import app
from trainer.config import Settings
from trainer.srs import learning_day
from trainer.store.database import open_store

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
KEYS = {"version", "today", "streak", "reviews_total", "reviews_per_day", "retention_30_days", "retention_per_week",
        "forecast", "hardest_cards", "ef_distribution", "interval_distribution", "labs"}


def seed() -> None:
    """Cards 1-7 graded daily for the last 10 days (card 7 failing every other day), one passed lab check."""
    now = datetime.now(timezone.utc)
    today = learning_day(now, Settings().rollover_hour)
    store = open_store()
    for back in range(10, 0, -1):
        day = today - timedelta(days=back)
        at = now - timedelta(days=back)
        for card_id in range(1, 8):
            quality = (1 if back % 2 else 5) if card_id == 7 else 3 + card_id % 3
            store.record_grade(card_id, quality, at=at, day=day)
    store.add_lab_attempt("kv_cache", started_at=now, file_sha256="0" * 64, outcome="passed", passed=9, day=today)
    store.add_lab_attempt("kv_cache", started_at=now, file_sha256="1" * 64, outcome="passed", passed=9, own_file=False)


def test_stats_json_has_the_documented_shape_and_the_right_figures() -> None:
    seed()
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == KEYS and data["version"] == 2
    assert data["reviews_total"] == 70 and data["streak"] == {"current": 10, "best": 10}
    per_day = data["reviews_per_day"]
    assert len(per_day) == 30 and per_day[-1] == {"day": data["today"], "reviews": 0}
    assert [d["reviews"] for d in per_day[-12:]] == [0] + [7] * 10 + [0]
    assert len(data["forecast"]) == 14 and data["forecast"][0]["day"] == data["today"]
    weeks = data["retention_per_week"]
    assert len(weeks) == 8 and sum(w["total"] for w in weeks) == 63  # every grade but each card's first
    assert sum(w["passed"] for w in weeks) == 58 and data["retention_30_days"]["rate"] == round(58 / 63, 4)
    states = open_store().card_states()
    by_difficulty = sorted(states, key=lambda s: (s.easiness, -s.lapses, s.card_id))
    hardest = data["hardest_cards"]
    assert [c["card_id"] for c in hardest] == [s.card_id for s in by_difficulty[:5]]
    assert [c["ef"] for c in hardest] == [s.easiness for s in by_difficulty[:5]] and hardest[0]["ef"] < 2.5
    assert hardest[0]["title"]["en"] and {s.card_id: s.lapses for s in states}[7] == 5
    assert sum(b["cards"] for b in data["ef_distribution"]) == 7 and data["ef_distribution"][0]["from"] == 1.3
    assert data["ef_distribution"][-1]["to"] is None and data["interval_distribution"][0]["from_days"] == 1
    assert sum(b["cards"] for b in data["interval_distribution"]) == 7
    labs = data["labs"]
    assert labs["passed"] == ["kv_cache"] and labs["total"] == 20 and "kv_cache" not in labs["to_do"]
    assert len(labs["passed"]) + len(labs["to_do"]) + len(labs["not_yet_available"]) == 20
    (kv,) = labs["progress"]  # only labs with something done on them
    assert kv["slug"] == "kv_cache" and kv["status"] == "passed" and (kv["checks"], kv["other_checks"]) == (1, 1)
    assert kv["first_pass"]["checks"] == 1 and kv["first_pass"]["grade"] == 5 and kv["last_grade"] == 5
    assert kv["interval"] == 1 and kv["due_now"] is False and labs["due"] == []


def test_stats_in_the_terminal_shows_every_section() -> None:
    seed()
    result = runner.invoke(app, ["stats"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    for heading in ("streak 10 day(s) (best 10)", "Reviews per day, last 30 days", "Cards due, next 14 days",
                    "Retention per week", "Hardest cards", "EF", "Interval", "passed: kv_cache", "Lab progress",
                    "1 (+1)"):
        assert heading in result.output, heading
    assert "1.30-1.49" in result.output and "181+ d" in result.output


def test_stats_of_a_new_home_and_of_a_broken_config(trainer_home: Path) -> None:
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0 and "no card graded yet" in result.output
    (trainer_home / "config.toml").write_text("new_per_day = [", encoding="utf-8")
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 2 and "config.toml: is not valid TOML" in result.output


def test_stats_never_loads_textual(fresh_python: Callable[..., str]) -> None:
    code = textwrap.dedent("""
        import sys
        from trainer.cli import app
        sys.argv = ["trainer", "stats"]
        try:
            app()
        except SystemExit:
            pass
        print("textual" in sys.modules)
    """)
    assert fresh_python(code, cwd=ROOT).strip().splitlines()[-1] == "False"
