"""Fixtures for the TUI tests: a fresh store, a fixed clock and an app factory on a fixed deck."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timezone
from pathlib import Path

import pytest
from tui_helpers import Clock, fixed_deck

from trainer.config import Settings
from trainer.tui.app import TrainerApp, make_app


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201 - trainer.store.Store
    """A fresh progress database."""
    from trainer.store.database import Store

    s = Store(tmp_path / "progress.db")
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_factory(store, clock: Clock) -> Callable[..., TrainerApp]:  # noqa: ANN001
    """Build the app on the fixed deck, the fresh store and the fixed clock (English, UTC)."""

    def build(**kwargs: object) -> TrainerApp:
        args = dict(deck=fixed_deck(), store=store, settings=Settings(new_per_day=5, language="en"), clock=clock,
                    tz=timezone.utc)
        args.update(kwargs)
        return make_app(**args)

    return build


@pytest.fixture
def fake_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A labs root holding one small lab, `kv_cache`, so the lab screen does not depend on the real README."""
    root = tmp_path / "labs"
    lab = root / "kv_cache"
    lab.mkdir(parents=True)
    (lab / "lab.toml").write_text(
        'slug = "kv_cache"\ncard = 6\ndifficulty = 2\nminutes = 30\n[title]\nen = "KV cache"\nzh = "KV 缓存"\n'
    )
    (lab / "README.md").write_text(
        "# KV cache\n\nImplement `KVCache.update` and `generate` so that decoding calls the model "
        "once per new token.\n\n| name | shape |\n| --- | --- |\n| k, v | `[B, H, T_new, d]` |\n"
    )
    (lab / "starter.py").write_text("def generate():\n    raise NotImplementedError\n")
    (lab / "solution.py").write_text("def generate():\n    return []\n")
    (lab / "hints.md").write_text("## Hint 1\nAppend along dim 2.\n")
    monkeypatch.setenv("TRAINER_LABS", str(root))
    return root
