"""Enterprise size from staff and revenue, per 工信部联企业〔2011〕300号.

工贸 manufacturing sectors use the 工业 thresholds; 商贸 uses the 批发业 thresholds, the closest
of the notice's trade categories to the warehousing and wholesale firms in 工贸 supervision.
Each row: (size, minimum employees, minimum revenue in 万元); both minimums must be met, checked
from the largest size down, and what meets none is 微型.
"""

from decimal import Decimal

from anbiao.enterprises.choices import Industry, Size

THRESHOLDS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "industry": (
        (Size.LARGE, 1000, 40000),
        (Size.MEDIUM, 300, 2000),
        (Size.SMALL, 20, 300),
    ),
    "wholesale": (
        (Size.LARGE, 200, 40000),
        (Size.MEDIUM, 20, 5000),
        (Size.SMALL, 5, 1000),
    ),
}


def classify_size(
    industry: str, employees: int | None, revenue_wan: Decimal | float | None
) -> str | None:
    """The size the thresholds give, or None when staff or revenue is unknown."""
    if employees is None or revenue_wan is None:
        return None
    table = THRESHOLDS["wholesale" if industry == Industry.TRADE else "industry"]
    for size, min_employees, min_revenue in table:
        if employees >= min_employees and Decimal(str(revenue_wan)) >= min_revenue:
            return size
    return Size.MICRO
