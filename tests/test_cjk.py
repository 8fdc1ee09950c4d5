"""Chinese text wraps between characters (Rich and Textual), and Latin text exactly as before."""

from __future__ import annotations

import re

from rich._wrap import divide_line
from rich.cells import cell_len
from textual.content import Content

from trainer import cjk

ZH = ("你认为 Transformer 会被其他架构（如 Mamba）取代吗？为什么？每步只算新 token 的 q、k、v，历史 K/V 复用。"
      "这样推理速度随序列变长而不会急剧下降。")
EN = "The quick brown fox jumps over the lazy dog near the riverbank, twice (and again) today."


def lines(text: str, width: int) -> list[str]:
    """`text` wrapped by Textual (which wraps with Rich)."""
    return [line.plain.rstrip() for line in Content(text).wrap(width)]


def test_chinese_lines_run_to_the_margin() -> None:
    assert cjk.install()
    wrapped = lines(ZH, 30)
    assert "".join(wrapped).replace(" ", "") == ZH.replace(" ", "")
    for line in wrapped[:-1]:
        assert cell_len(line) >= 27, wrapped  # a full line, give or take a wide character and its punctuation
    assert not any(line[0] in "，。、：；！？）" for line in wrapped[1:])  # no line starts with closing punctuation
    assert not any(line.endswith(("（", "“")) for line in wrapped)


def test_latin_text_breaks_exactly_as_before() -> None:
    cjk.install()
    plain = re.compile(r"\s*\S+\s*")  # Rich's own pattern
    for width in (10, 17, 30, 41):
        assert divide_line(EN, width) == _rich_breaks(EN, width, plain)


def _rich_breaks(text: str, width: int, pattern: re.Pattern[str]) -> list[int]:
    from rich import _wrap

    saved, _wrap.re_word = _wrap.re_word, pattern
    try:
        return divide_line(text, width)
    finally:
        _wrap.re_word = saved


def test_hard_wrapped_chinese_markdown_joins_without_a_space() -> None:
    source = "沿时间维\n    （dim 2）追加到缓存中，\n并返回全部 key。\n- 下一项：三个权重、\n`Q` 和 P\ntoken\n结束。\n1. 一"
    assert cjk.join_lines(source) == "沿时间维（dim 2）追加到缓存中，并返回全部 key。\n- 下一项：三个权重、`Q` 和 P\ntoken\n结束。\n1. 一"
