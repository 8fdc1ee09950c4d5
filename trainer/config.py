"""User settings in $TRAINER_HOME/config.toml: new cards per day, day rollover hour, card language, lab device."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from trainer.paths import config_path

LANGUAGES = ("zh", "en")
LAB_DEVICES = ("cpu", "auto", "cuda")
"""Where lab checks run: auto takes cuda when the grading process sees a GPU."""
MAX_NEW_PER_DAY = 1000
REPAIR = "fix or delete the file, or set a value with `trainer config KEY VALUE`"


class ConfigError(ValueError):
    """A setting is missing a valid value, or config.toml cannot be read."""


@dataclass(frozen=True)
class Settings:
    """The learner's settings; construction validates every field."""

    new_per_day: int = 5
    rollover_hour: int = 4
    language: str = "zh"
    lab_device: str = "cpu"

    def __post_init__(self) -> None:
        _check_int("new_per_day", self.new_per_day, 0, MAX_NEW_PER_DAY)
        _check_int("rollover_hour", self.rollover_hour, 0, 23)
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, got {self.language!r}")
        if self.lab_device not in LAB_DEVICES:
            raise ConfigError(f"lab_device must be one of {', '.join(LAB_DEVICES)}, got {self.lab_device!r}")


SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Settings))


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")


def _parse(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The file's table and what stops it from being read at all (missing: empty, no problem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no file, or no home folder yet
        return {}, []
    except UnicodeDecodeError:
        return {}, ["is not UTF-8 text"]
    except OSError as exc:
        return {}, [f"cannot be read ({exc.strerror or exc})"]
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [f"is not valid TOML ({exc})"]


def read_settings(path: Path | None = None) -> tuple[Settings, list[str]]:
    """The settings of config.toml with each bad value replaced by its default, and every problem found."""
    path = path or config_path()
    data, problems = _parse(path)
    problems += [f"unknown setting {name!r}" for name in sorted(set(data) - set(SETTING_NAMES))]
    good: dict[str, Any] = {}
    for name in SETTING_NAMES:
        if name in data:
            try:
                replace(Settings(), **{name: data[name]})
            except ConfigError as exc:
                problems.append(str(exc))
            else:
                good[name] = data[name]
    return Settings(**good), problems


def describe_problems(path: Path, problems: list[str]) -> str:
    """One line naming the file, every problem in it and what to do."""
    return f"{path}: {'; '.join(problems)}. To repair it: {REPAIR}."


def load_settings(path: Path | None = None) -> Settings:
    """Read config.toml; a missing file gives the defaults. ConfigError names the file and every problem."""
    path = path or config_path()
    settings, problems = read_settings(path)
    if problems:
        raise ConfigError(describe_problems(path, problems))
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write config.toml atomically (a temp file, then a rename); return its path. OSError when it cannot."""
    path = path or config_path()
    lines = [
        "# trainer settings (`trainer config KEY VALUE` changes them)",
        f"new_per_day = {settings.new_per_day}",
        f"rollover_hour = {settings.rollover_hour}",
        f'language = "{settings.language}"',
        f'lab_device = "{settings.lab_device}"',
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def with_setting(settings: Settings, name: str, text: str) -> Settings:
    """A copy of `settings` with `name` set from its text form; ConfigError on a bad name or value."""
    if name not in SETTING_NAMES:
        raise ConfigError(f"unknown setting {name!r}; known: {', '.join(SETTING_NAMES)}")
    value: object = text.strip()
    if name in ("new_per_day", "rollover_hour"):
        try:
            value = int(text.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {text!r}") from None
    return replace(settings, **{name: value})
