"""Chinese text on screen: line breaks between Chinese characters, and Markdown source lines joined without a space.

Rich breaks lines only at spaces, and Textual wraps with Rich's `divide_line`. A Chinese paragraph holds spaces only
around its Latin words ("每步只算新 token 的 q"), so it broke only there and its lines ended far from the margin.
`install()` lets every Chinese character (with the punctuation that must stay next to it) be a word of its own, as
Chinese typesetting does; text without Chinese wraps exactly as before.
"""

from __future__ import annotations

import re

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
"""Kana, ideographs and Hangul: a line may break before or after any of them."""
_OPEN = "（「『《【〈“‘"
"""Never at the end of a line: kept with the character after them."""
_CLOSE = "，。、：；！？）」』》】〉”’…"
"""Never at the start of a line: kept with the character before them."""
WORD = re.compile(
    rf"\s*[{_OPEN}]*(?:[{_CJK}]|[^\s{_CJK}{_OPEN}{_CLOSE}]+)[{_CLOSE}]*\s*|\s*[{_OPEN}{_CLOSE}]+\s*"
)
"""A word for Rich's line breaking: one Chinese character, or a run of anything else up to a space, each with its
sticky punctuation and the spaces after it."""
_SOFT_BREAK = re.compile(
    rf"(?<=[{_CJK}{_OPEN}{_CLOSE}])[ \t]*\n[ \t]*(?=[{_CJK}{_OPEN}{_CLOSE}])"
    rf"|(?<=[{_CLOSE}])[ \t]*\n[ \t]*(?![-*+>#|\s]|```|\d+\.)"
)
"""A line break inside a Chinese paragraph: between two Chinese characters, or after Chinese punctuation (unless the
next line starts a Markdown block: a list item, a quote, a heading, a table, a fence)."""


def install() -> bool:
    """Make Rich (and so Textual) break Chinese text between characters; False when Rich's wrapping has changed
    shape and nothing was patched (lines then break at spaces only, as before)."""
    from rich import _wrap

    if not isinstance(getattr(_wrap, "re_word", None), re.Pattern):
        return False
    _wrap.re_word = WORD
    return True


def join_lines(markdown: str) -> str:
    """Markdown whose hard-wrapped Chinese lines join without the space a soft line break renders as."""
    return _SOFT_BREAK.sub("", markdown)
