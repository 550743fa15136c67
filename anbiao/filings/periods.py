"""The filing periods of a campaign (docs/filings.md): from the campaign file's `filing`
schedule, each period's key, name, as-of date (its last day) and due date."""

from dataclasses import dataclass
from datetime import date, timedelta

from anbiao.campaigns.choices import FilingFrequency
from anbiao.campaigns.models import Campaign


@dataclass(frozen=True)
class Period:
    """One filing period: figures as of `as_of` (its last day), due `due_on`."""

    key: str  # "2025-06", "2025-Q2"; "" for an ad hoc filing
    label: str
    as_of: date
    due_on: date | None

    @property
    def ad_hoc(self) -> bool:
        return not self.key


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def periods(campaign: Campaign, today: date) -> list[Period]:
    """The campaign's periods that have ended by `today`, oldest first (none when it files ad
    hoc only). A period ending after the campaign's end is not asked for."""
    frequency = campaign.filing_frequency
    if frequency not in (FilingFrequency.MONTHLY, FilingFrequency.QUARTERLY):
        return []
    step = 1 if frequency == FilingFrequency.MONTHLY else 3
    year, month = campaign.starts_on.year, campaign.starts_on.month
    if step == 3:
        month = (month - 1) // 3 * 3 + 1
    found = []
    while True:
        last_month = month + step - 1
        end = _month_end(year, last_month)
        if end > today or end > campaign.ends_on:
            break
        if step == 1:
            key, label = f"{year}-{month:02d}", f"{year}年{month}月"
        else:
            quarter = (month - 1) // 3 + 1
            key, label = f"{year}-Q{quarter}", f"{year}年第{quarter}季度"
        found.append(Period(key, label, end, end + timedelta(days=campaign.filing_due_days)))
        month += step
        if month > 12:
            year, month = year + 1, month - 12
    return found


def period_of(campaign: Campaign, key: str, today: date) -> Period | None:
    return next((p for p in periods(campaign, today) if p.key == key), None)


def ad_hoc(on: date) -> Period:
    """A filing outside the schedule (临时报送) as of any date up to today."""
    return Period("", f"临时报送(截至{on:%Y年%m月%d日})", on, None)
