"""`trainer --version` and `trainer cards` through Typer's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from tests.test_deck import good, write
from trainer import __version__
from trainer.cli import app
from trainer.config import Settings, save_settings

runner = CliRunner()
CJK = re.compile(r"[\u3400-\u9fff]")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"trainer {__version__}"


def test_cards_lists_twenty_with_titles_and_labs() -> None:
    result = runner.invoke(app, ["cards", "--lang", "en"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "20 cards" in result.stdout
    for lab in ("kv_cache", "attention_gradient", "longformer", "state_space_model"):
        assert lab in result.stdout


def test_cards_show_kv_cache_in_english_has_no_chinese() -> None:
    result = runner.invoke(app, ["cards", "show", "6", "--lang", "en"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "KV cache" in result.stdout and "Question" in result.stdout
    assert not CJK.search(result.stdout)


def test_cards_show_kv_cache_in_chinese() -> None:
    result = runner.invoke(app, ["cards", "show", "6", "--lang", "zh"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "KV Cache" in result.stdout and "问题" in result.stdout and "答案" in result.stdout


def test_cards_show_unknown_card_exits_2() -> None:
    result = runner.invoke(app, ["cards", "show", "99"])
    assert result.exit_code == 2 and "No card 99" in result.output


def test_cards_check_passes_on_the_real_deck() -> None:
    result = runner.invoke(app, ["cards", "--check"])
    assert result.exit_code == 0, result.output
    assert "all 20 cards are valid" in result.stdout


def test_cards_check_names_the_broken_file_and_line_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, "01-ok.md", good(1, "ok"))
    bad = write(tmp_path, "02-bad.md", good(2, "bad").replace("lab: kv_cache", "lab: nope"))
    result = runner.invoke(app, ["cards", "--check", "--cards", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert f"{bad}:4: unknown lab slug 'nope'" in result.output
    assert "1 cards" in result.stdout and "Why a KV cache?" in result.output or "为什么需要" in result.output


def test_cards_folder_from_environment(tmp_path: Path) -> None:
    write(tmp_path, "01-ok.md", good(1, "ok"))
    result = runner.invoke(app, ["cards", "--lang", "en"], env={"TRAINER_CARDS": str(tmp_path), "COLUMNS": "200"})
    assert result.exit_code == 0 and "1 cards" in result.stdout and "Why a KV cache?" in result.stdout


def test_invalid_language_is_refused() -> None:
    result = runner.invoke(app, ["cards", "show", "6", "--lang", "fr"])
    assert result.exit_code == 2 and "zh or en" in result.output


def test_cards_follow_the_language_setting() -> None:
    save_settings(Settings(language="en"))
    listed = runner.invoke(app, ["cards"])
    assert "KV cache" in listed.stdout and not CJK.search(listed.stdout)
    shown = runner.invoke(app, ["cards", "show", "6"], env={"COLUMNS": "120"})
    assert "Question" in shown.stdout and not CJK.search(shown.stdout)
    assert "问题" in runner.invoke(app, ["cards", "show", "6", "--lang", "zh"]).stdout  # the option wins
