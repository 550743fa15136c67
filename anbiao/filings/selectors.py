"""Scoped reads of filings: a user sees the filings of their region subtree (a station its own
镇街's, the district all of its 镇街's, an administrator without a region all of them)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.models import Region
from anbiao.campaigns.models import Campaign
from anbiao.filings.choices import PERIOD_STATES, FilingStatus
from anbiao.filings.models import Filing, FilingFile
from anbiao.filings.periods import Period, periods

VIEW_DENIED = "您没有查看信息报送的权限"


def filings_for(user) -> QuerySet[Filing]:
    """The filings `user` may read."""
    require(user, perms.FILING_VIEW, message=VIEW_DENIED)
    qs = Filing.objects.select_related("campaign", "region", "filed_by", "answered_by")
    if user.region_id is None:
        return qs if user.role == "admin" else qs.none()
    return qs.filter(region__path__startswith=user.region.path)


def filing_get(*, user, pk: int) -> Filing:
    filing = filings_for(user).filter(pk=pk).first()
    if filing is None:
        raise Http404("报送记录不存在或不在您的管辖范围内")
    return filing


def filing_file_get(*, user, pk: int, file_pk: int) -> FilingFile:
    item = FilingFile.objects.filter(filing=filing_get(user=user, pk=pk), pk=file_pk).first()
    if item is None:
        raise Http404("文件不存在")
    return item


def standing_filings(qs: QuerySet[Filing]) -> list[Filing]:
    """Of `qs`, what stands as reported: per campaign, 镇街 and period the latest filing, unless
    it was returned (退回 — the station must file again). Each 临时报送 stands on its own."""
    latest: dict[tuple, Filing] = {}
    for filing in qs.select_related("campaign", "region").order_by("filed_at", "id"):
        key = (filing.campaign_id, filing.region_id, filing.period or f"adhoc-{filing.pk}")
        latest[key] = filing
    return [f for f in latest.values() if f.status != FilingStatus.RETURNED]


def subdistricts(campaign: Campaign, user) -> list[Region]:
    """The 镇街 of a campaign that file (those inside the user's region too)."""
    region = campaign.region
    qs = Region.objects.filter(path__startswith=region.path, level="subdistrict")
    if user.region_id is not None:
        qs = qs.filter(path__startswith=user.region.path)
    return list(qs.order_by("code"))


@dataclass
class Cell:
    """One 镇街 × period: its latest filing and what that means."""

    period: Period
    filing: Filing | None
    state: str

    @property
    def label(self) -> str:
        return PERIOD_STATES[self.state][0]

    @property
    def color(self) -> str:
        return PERIOD_STATES[self.state][1]


@dataclass
class BoardRow:
    region: Region
    cells: list[Cell] = field(default_factory=list)

    @property
    def late(self) -> list[Cell]:
        return [c for c in self.cells if c.state in ("late", "returned")]


def cell_state(filing: Filing | None, period: Period, today: date) -> str:
    if filing is None:
        return "late" if period.due_on and period.due_on < today else "open"
    return filing.status


def board(*, user, campaign: Campaign, today: date, shown: int = 6) -> tuple[list, list]:
    """Which 镇街 filed each of the campaign's latest periods and which are late: (periods
    shown, newest first; rows by 镇街)."""
    all_periods = periods(campaign, today)
    recent = list(reversed(all_periods))[:shown]
    filings = filings_for(user).filter(campaign=campaign).exclude(period="")
    latest: dict[tuple, Filing] = {}
    for filing in filings.order_by("filed_at", "id"):
        latest[(filing.region_id, filing.period)] = filing
    rows = []
    for region in subdistricts(campaign, user):
        row = BoardRow(region)
        for period in all_periods:
            filing = latest.get((region.pk, period.key))
            row.cells.append(Cell(period, filing, cell_state(filing, period, today)))
        rows.append(row)
    return recent, rows
