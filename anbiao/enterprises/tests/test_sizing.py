from decimal import Decimal

import pytest

from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.sizing import classify_size


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "size"),
    [
        (Industry.MACHINERY, 1000, 40000, Size.LARGE),
        (Industry.MACHINERY, 300, 2000, Size.MEDIUM),
        (Industry.MACHINERY, 299, 50000, Size.SMALL),
        (Industry.MACHINERY, 20, 300, Size.SMALL),
        (Industry.MACHINERY, 19, 5000, Size.MICRO),
        (Industry.MACHINERY, 500, Decimal("299.99"), Size.MICRO),
        (Industry.TRADE, 5, 1000, Size.SMALL),
        (Industry.TRADE, 4, 1000, Size.MICRO),
        (Industry.TRADE, 20, 5000, Size.MEDIUM),
    ],
)
def test_it_classifies_by_the_2011_300_thresholds(industry, employees, revenue, size):
    assert classify_size(industry, employees, revenue) == size


def test_it_gives_no_size_without_staff_or_revenue():
    assert classify_size(Industry.MACHINERY, None, 100) is None
    assert classify_size(Industry.MACHINERY, 10, None) is None


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "size"),
    [
        # 零售业 (F52): 小型 from 10 staff and 100 万元, 中型 from 50 and 500.
        ("F5211", 12, 150, Size.SMALL),
        ("F5211", 60, 600, Size.MEDIUM),
        ("5211", 9, 150, Size.MICRO),
        # 批发业 (F51): 小型 from 5 staff and 1000 万元.
        ("F5124", 12, 150, Size.MICRO),
        # 仓储业 (G59): 小型 from 20 staff and 100 万元, 中型 from 100 and 1000.
        ("G5990", 25, 150, Size.SMALL),
        ("G5990", 120, 1500, Size.MEDIUM),
        # 工业 (C): the manufacturing thresholds, whatever the 工贸 industry says.
        ("C3311", 25, 350, Size.SMALL),
        # An unknown or malformed code falls back to the industry (商贸: 批发业 thresholds).
        ("Z9999", 12, 150, Size.MICRO),
        ("不详", 12, 150, Size.MICRO),
    ],
)
def test_the_gbt_4754_code_picks_the_sectors_thresholds(code, employees, revenue, size):
    assert classify_size(Industry.TRADE, employees, revenue, code) == size


def test_without_a_code_trade_uses_the_wholesale_thresholds():
    assert classify_size(Industry.TRADE, 12, 150) == Size.MICRO  # 批发业 needs 1000 万元
    assert classify_size(Industry.TRADE, 12, 150, "F5211") == Size.SMALL  # 零售业 needs 100
