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
