"""User settings in $TRAINER_HOME/config.toml: new cards per day, day rollover hour, card language, lab device."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from trainer.paths import config_path

LANGUAGES = ("zh", "en")
LAB_DEVICES = ("cpu", "auto", "cuda")
"""Where lab checks run: auto takes cuda when the grading process sees a GPU."""
MAX_NEW_PER_DAY = 1000


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


def load_settings(path: Path | None = None) -> Settings:
    """Read config.toml; a missing file gives the defaults. Raises ConfigError naming the file."""
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it or delete it to use the defaults") from exc
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(SETTING_NAMES)}")
    try:
        return Settings(**data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write config.toml atomically (a temp file, then a rename); return its path."""
    path = path or config_path()
    lines = [
        "# trainer settings (`trainer config KEY VALUE` changes them)",
        f"new_per_day = {settings.new_per_day}",
        f"rollover_hour = {settings.rollover_hour}",
        f'language = "{settings.language}"',
        f'lab_device = "{settings.lab_device}"',
    ]
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
