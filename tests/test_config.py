"""Settings in config.toml and `trainer config`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trainer.cli import app
from trainer.config import ConfigError, Settings, load_settings, save_settings, with_setting

runner = CliRunner()


def test_defaults_without_a_file(trainer_home: Path) -> None:
    assert load_settings() == Settings(new_per_day=5, rollover_hour=4, language="zh", lab_device="cpu")
    assert not (trainer_home / "config.toml").exists()


def test_save_and_load_round_trip(trainer_home: Path) -> None:
    wanted = Settings(new_per_day=12, rollover_hour=0, language="en", lab_device="auto")
    path = save_settings(wanted)
    assert path == trainer_home / "config.toml"
    assert load_settings() == wanted


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("new_per_day", "-1", "0 to 1000"),
        ("new_per_day", "ten", "whole number"),
        ("rollover_hour", "24", "0 to 23"),
        ("language", "fr", "zh, en"),
        ("lab_device", "gpu", "cpu, auto, cuda"),
        ("colour", "red", "unknown setting"),
    ],
)
def test_with_setting_validates(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        with_setting(Settings(), name, value)


def test_with_setting_parses_values() -> None:
    assert with_setting(Settings(), "rollover_hour", " 3 ").rollover_hour == 3
    assert with_setting(Settings(), "language", "en").language == "en"
    assert with_setting(Settings(), "lab_device", "cuda").lab_device == "cuda"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("new_per_day = ", "not valid TOML"),
        ("new_per_day = true", "whole number"),
        ('language = "de"', "language must be"),
        ("speed = 3", "unknown setting"),
    ],
)
def test_a_bad_file_names_itself(trainer_home: Path, text: str, message: str) -> None:
    trainer_home.mkdir(parents=True, exist_ok=True)
    path = trainer_home / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert str(path) in str(info.value)


def test_config_command_shows_and_sets(trainer_home: Path) -> None:
    shown = runner.invoke(app, ["config"])
    assert shown.exit_code == 0 and "new_per_day = 5" in shown.output and "language = zh" in shown.output
    changed = runner.invoke(app, ["config", "new_per_day", "8"])
    assert changed.exit_code == 0 and "saved new_per_day = 8" in changed.output
    assert load_settings().new_per_day == 8


def test_config_command_refuses_bad_values_and_keeps_the_file(trainer_home: Path) -> None:
    save_settings(Settings(rollover_hour=5))
    before = (trainer_home / "config.toml").read_bytes()
    result = runner.invoke(app, ["config", "rollover_hour", "31"])
    assert result.exit_code == 2 and "0 to 23" in result.output
    assert (trainer_home / "config.toml").read_bytes() == before
    assert runner.invoke(app, ["config", "rollover_hour"]).exit_code == 2
