import re

import pytest

from anbiao.core.uscc import USCCError, normalize, validate

REAL_CODES = ["91330100716105852F", "91440300708461136T", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code):
    assert validate(code) == code


def test_it_normalizes_full_width_spaces_and_lower_case():
    assert normalize(" ９１３３０１００ 7161 05852f ") == "91330100716105852F"
    assert validate("９１３３０１００７１６１０５８５２ｆ") == "91330100716105852F"


def test_it_rejects_a_wrong_check_character_and_names_the_expected_one():
    with pytest.raises(USCCError, match="校验位错误:第18位应为“F”,实为“E”"):
        validate("91330100716105852E")


def test_it_rejects_a_wrong_length_saying_how_long_it_is():
    with pytest.raises(USCCError, match="应为18位,当前为17位"):
        validate("9133010071610585F")


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "*"])
def test_it_rejects_characters_outside_the_code_set(bad):
    with pytest.raises(USCCError, match=re.escape(f"第12位“{bad}”不是允许的字符")):
        validate("91330100716" + bad + "05852F")


def test_it_rejects_an_empty_code():
    with pytest.raises(USCCError, match="不能为空"):
        validate("  ")
