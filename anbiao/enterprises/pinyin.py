"""Pinyin keys of a Chinese name, so `xmhx` finds 厦门恒兴… (pypinyin reads 厦门 as xia men).

Latin letters and digits in a name (ABC重工) are kept whole in both keys. Names are cut into
words with pypinyin's own segmenter and each word's reading is cached: company names share most
of their words (厦门, 有限公司, 机械), which makes a 100k-row import's keys cheap.
"""

import re
from functools import lru_cache

from pypinyin import lazy_pinyin
from pypinyin.seg.mmseg import seg

HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=50_000)
def _word(word: str) -> tuple[str, str]:
    if not HAN.search(word):
        literal = "".join(ch for ch in word if ch.isascii() and ch.isalnum()).lower()
        return literal, literal
    syllables = [s for s in lazy_pinyin(word) if s]
    initials = "".join(s[0] for s in syllables if s[0].isascii() and s[0].isalnum())
    full = "".join(ch for s in syllables for ch in s if ch.isascii() and ch.isalnum())
    return initials.lower(), full.lower()


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of `name`, lower case, ASCII letters and digits only."""
    parts = [_word(word) for word in seg.cut(name)]
    return "".join(p[0] for p in parts)[:100], "".join(p[1] for p in parts)[:300]
