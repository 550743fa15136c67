"""Pinyin keys of a Chinese name, so `xmhx` finds 厦门恒兴… (pypinyin reads 厦门 as xia men).

Latin letters and digits in a name (ABC重工) are kept whole in both keys.
"""

from pypinyin import Style, lazy_pinyin


def _alnum(tokens: list[str]) -> str:
    return "".join(ch for token in tokens for ch in token if ch.isascii() and ch.isalnum()).lower()


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of `name`, lower case, ASCII letters and digits only."""
    initials = _alnum(lazy_pinyin(name, style=Style.FIRST_LETTER))
    full = _alnum(lazy_pinyin(name))
    return initials[:100], full[:300]
