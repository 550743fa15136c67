"""The district's roll-up (docs/filings.md): every 镇街 of the user's region on one page — its
ledger, its campaign's figures (the very numbers of that 镇街's dashboard), open hazards and
its last filing. A 镇街 without a campaign is listed with its ledger figures and a note."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.models import Region
from anbiao.campaigns import metrics
from anbiao.campaigns.models import Campaign
from anbiao.campaigns.selectors import campaigns_for
from anbiao.enterprises import ledger
from anbiao.enterprises.choices import SMALL_AND_MICRO, Size
from anbiao.enterprises.models import Enterprise
from anbiao.filings.models import Filing
from anbiao.filings.periods import periods
from anbiao.filings.selectors import standing_filings
from anbiao.supervision.models import Hazard

DENIED = "您没有查看各镇街汇总的权限"
# The roll-up's columns: (key, label, is a rate). Campaign figures are those of the metrics.
COLUMNS = (
    ("ledger_size", "台账企业", False),
    ("eligible_total", "应创企业", False),
    ("started", "已开展创建", False),
    ("start_rate", "开展率", True),
    ("completed", "已完成创建", False),
    ("completion_rate", "完成率", True),
    ("due_certificates", "到期证书", False),
    ("renewed", "已换证", False),
    ("open_hazards", "未销号隐患", False),
)
SUMMED = [key for key, _, is_rate in COLUMNS if not is_rate]
CAMPAIGN_KEYS = {"eligible_total", "started", "completed", "due_certificates", "renewed"}


@dataclass
class Row:
    region: Region
    campaign: Campaign | None
    values: dict
    last_filing: Filing | None = None
    rank: int | None = None
    note: str = ""
    overdue: int = 0  # scheduled periods past their due date, not filed or returned (today)


@dataclass
class RollUp:
    area: Region | None
    on: date
    rows: list[Row]
    totals: dict = field(default_factory=dict)


def _campaign_of(region: Region, campaigns: list[Campaign]) -> Campaign | None:
    """The latest campaign covering the 镇街 (campaigns are ordered newest first)."""
    return next((c for c in campaigns if region.path.startswith(c.region.path)), None)


def _ledger_size(enterprises, region: Region, on: date) -> int:
    """Enterprises in the ledger and operating on the date, of any size, in or out of the zone."""
    return ledger.in_scope(
        enterprises, on, region, sizes=Size.values, exclude_torch_zone=False
    ).count()


def _overdue(campaigns: list[Campaign], regions) -> dict[tuple[int, int], int]:
    """Per (campaign, 镇街): its scheduled periods past their due date today with no standing
    filing (none, or returned)."""
    today = timezone.localdate()
    found: dict[tuple[int, int], int] = {}
    for campaign in campaigns:
        due = [p for p in periods(campaign, today) if p.due_on and p.due_on < today]
        if not due:
            continue
        standing = {
            (f.region_id, f.period)
            for f in standing_filings(Filing.objects.filter(campaign=campaign, region__in=regions))
        }
        for region in regions.filter(path__startswith=campaign.region.path):
            found[(campaign.pk, region.pk)] = sum(
                1 for p in due if (region.pk, p.key) not in standing
            )
    return found


def rollup(*, user, on: date) -> RollUp:
    """Every 镇街 in the user's region, as of `on`."""
    require(user, perms.ROLLUP_VIEW, message=DENIED)
    regions = Region.objects.filter(level="subdistrict")
    area = user.region if user.region_id else None
    if area is not None:
        regions = regions.filter(path__startswith=area.path)
    enterprises = Enterprise.objects.restrict(user, "view")
    campaigns = [c for c in campaigns_for(user) if c.starts_on <= on]
    filings = {}
    for filing in (
        Filing.objects.filter(region__in=regions).select_related("campaign").order_by("filed_at")
    ):
        filings[filing.region_id] = filing  # the latest one wins
    overdue = _overdue(campaigns, regions)
    rows = []
    for region in regions.order_by("code"):
        campaign = _campaign_of(region, campaigns)
        values: dict = {"ledger_size": _ledger_size(enterprises, region, on)}
        note = ""
        if campaign is not None:
            computed = metrics.compute(metrics.Scope(campaign, enterprises, on, region))
            values.update({k: computed.get(k) for k, *_ in COLUMNS if k in computed})
        else:
            # No campaign: the ledger as the default plan would count it, and a note.
            values["eligible_total"] = ledger.eligible(
                enterprises, on, region, sizes=SMALL_AND_MICRO, exclude_torch_zone=True
            ).count()
            note = "尚未开展专项行动:应创企业按默认口径(非火炬高新区小微企业)统计"
        values["open_hazards"] = Hazard.objects.filter(
            Q(found_on__lte=on) & (Q(closed_on__isnull=True) | Q(closed_on__gt=on)),
            enterprise__in=enterprises.filter(region__path__startswith=region.path).values("pk"),
        ).count()
        late = overdue.get((campaign.pk, region.pk), 0) if campaign else 0
        rows.append(Row(region, campaign, values, filings.get(region.pk), note=note, overdue=late))
    ranked = sorted(
        (r for r in rows if r.values.get("completion_rate") is not None),
        key=lambda r: (-r.values["completion_rate"], -(r.values.get("start_rate") or 0)),
    )
    for rank, row in enumerate(ranked, start=1):
        row.rank = rank
    totals = {key: sum(r.values.get(key) or 0 for r in rows) for key in SUMMED}
    with_campaign = [r for r in rows if r.campaign is not None]
    eligible = sum(r.values["eligible_total"] for r in with_campaign)
    totals["start_rate"] = metrics.rate(sum(r.values["started"] for r in with_campaign), eligible)
    totals["completion_rate"] = metrics.rate(
        sum(r.values["completed"] for r in with_campaign), eligible
    )
    return RollUp(area, on, rows, totals)


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Rows by a column (missing values last, whatever the direction)."""
    if key == "rank":
        present = [r for r in rows if r.rank is not None]
        absent = [r for r in rows if r.rank is None]
        return sorted(present, key=lambda r: r.rank, reverse=descending) + absent
    if key not in dict((k, 0) for k, *_ in COLUMNS):
        return rows
    present = [r for r in rows if r.values.get(key) is not None]
    absent = [r for r in rows if r.values.get(key) is None]
    return sorted(present, key=lambda r: r.values[key], reverse=descending) + absent
