"""Settings in config.toml and `trainer config`."""

from __future__ import annotations

import subprocess
import sys
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


def test_config_with_a_key_alone_prints_its_value(trainer_home: Path) -> None:
    save_settings(Settings(rollover_hour=5))
    result = runner.invoke(app, ["config", "rollover_hour"])
    assert (result.exit_code, result.output) == (0, "rollover_hour = 5\n")


def test_a_negative_value_is_a_value_not_an_option(trainer_home: Path) -> None:
    result = runner.invoke(app, ["config", "new_per_day", "-5"])
    assert result.exit_code == 2 and "new_per_day must be a whole number from 0 to 1000, got -5" in result.output
    assert not (trainer_home / "config.toml").exists()


BAD = 'new_per_day = 5000\nlanguage = "fr"\ncolour = "red"\n'


def test_every_problem_of_a_bad_file_in_one_line(trainer_home: Path) -> None:
    trainer_home.mkdir(parents=True)
    (trainer_home / "config.toml").write_text(BAD)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(trainer_home / "config.toml"))
    for part in ("unknown setting 'colour'", "got 5000", "got 'fr'", "trainer config KEY VALUE"):
        assert part in message


def test_setting_a_value_repairs_a_bad_file(trainer_home: Path) -> None:
    trainer_home.mkdir(parents=True)
    (trainer_home / "config.toml").write_text(BAD)
    shown = runner.invoke(app, ["config"])
    assert shown.exit_code == 2 and "new_per_day = 5\n" in shown.output and "got 'fr'" in shown.output
    result = runner.invoke(app, ["config", "new_per_day", "7"])
    assert result.exit_code == 0, result.output
    assert "saved new_per_day = 7" in result.output and "got 'fr'" in result.output  # says what else it repaired
    assert load_settings() == Settings(new_per_day=7)


def test_an_unreadable_file_is_a_problem_too(trainer_home: Path) -> None:
    (trainer_home / "config.toml").mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(ConfigError, match="config.toml: cannot be read"):
        load_settings()


def test_the_tui_with_a_bad_config_prints_one_line_and_exits_2(trainer_home: Path) -> None:
    trainer_home.mkdir(parents=True)
    (trainer_home / "config.toml").write_text("new_per_day = \n")
    code = "import sys; sys.argv = ['trainer']; from trainer.launcher import main; main()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(f"error: {trainer_home / 'config.toml'}: is not valid TOML")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_saving_into_a_read_only_home_is_one_line(trainer_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)
    result = runner.invoke(app, ["config", "language", "en"])
    assert result.exit_code == 2 and not isinstance(result.exception, OSError)
    assert "cannot write" in result.output and "config.toml.tmp (Permission denied)" in result.output
    assert "set TRAINER_HOME" in result.output
