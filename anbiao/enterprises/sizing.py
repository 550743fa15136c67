"""Enterprise size from staff and revenue, per 工信部联企业〔2011〕300号.

The notice sets different thresholds per sector. Where the enterprise's GB/T 4754 code is known,
its 门类/大类 picks the sector (批发业 F51, 零售业 F52, 仓储业 G59, 交通运输业 G53–G58, 邮政业
G60, 住宿业 H61, 餐饮业 H62, 工业 B–D); without a code the 工贸 industry decides: 商贸 uses the
批发业 thresholds, the manufacturing sectors the 工业 ones.

Each row: (size, minimum employees, minimum revenue in 万元); both minimums must be met, checked
from the largest size down, and what meets none is 微型.
"""

import re
from decimal import Decimal

from anbiao.enterprises.choices import Industry, Size

THRESHOLDS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "industry": ((Size.LARGE, 1000, 40000), (Size.MEDIUM, 300, 2000), (Size.SMALL, 20, 300)),
    "wholesale": ((Size.LARGE, 200, 40000), (Size.MEDIUM, 20, 5000), (Size.SMALL, 5, 1000)),
    "retail": ((Size.LARGE, 300, 20000), (Size.MEDIUM, 50, 500), (Size.SMALL, 10, 100)),
    "warehousing": ((Size.LARGE, 200, 30000), (Size.MEDIUM, 100, 1000), (Size.SMALL, 20, 100)),
    "transport": ((Size.LARGE, 1000, 30000), (Size.MEDIUM, 300, 3000), (Size.SMALL, 20, 200)),
    "postal": ((Size.LARGE, 1000, 30000), (Size.MEDIUM, 300, 2000), (Size.SMALL, 20, 100)),
    "lodging": ((Size.LARGE, 300, 10000), (Size.MEDIUM, 100, 2000), (Size.SMALL, 10, 100)),
    "catering": ((Size.LARGE, 300, 10000), (Size.MEDIUM, 100, 2000), (Size.SMALL, 10, 100)),
}
# GB/T 4754 大类 (two digits) → the notice's sector; 06–46 are 采矿业, 制造业 and 电热燃水 (工业).
SECTOR_BY_DIVISION = {
    51: "wholesale",
    52: "retail",
    **dict.fromkeys(range(53, 59), "transport"),
    59: "warehousing",
    60: "postal",
    61: "lodging",
    62: "catering",
    **dict.fromkeys(range(6, 47), "industry"),
}
CODE = re.compile(r"^[A-Ta-t]?(\d{2})\d{0,2}$")


def sector(industry: str, industry_code: str = "") -> str:
    """The threshold table of an enterprise: by its GB/T 4754 code, else by its industry."""
    match = CODE.match((industry_code or "").strip())
    if match and int(match.group(1)) in SECTOR_BY_DIVISION:
        return SECTOR_BY_DIVISION[int(match.group(1))]
    return "wholesale" if industry == Industry.TRADE else "industry"


def classify_size(
    industry: str,
    employees: int | None,
    revenue_wan: Decimal | float | None,
    industry_code: str = "",
) -> str | None:
    """The size the thresholds give, or None when staff or revenue is unknown."""
    if employees is None or revenue_wan is None:
        return None
    for size, min_employees, min_revenue in THRESHOLDS[sector(industry, industry_code)]:
        if employees >= min_employees and Decimal(str(revenue_wan)) >= min_revenue:
            return size
    return Size.MICRO
