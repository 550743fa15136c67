"""Demo data for 信息报送: the 民安 station filed the second-latest period of minan-2025 and the
区专班 received it; afterwards the station recorded two enterprises as started back-dated into
that period, so that filing's page shows "why did it change"; the latest period is filed and
awaits receipt.
Idempotent: nothing is added when the station has filed before."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import User
from anbiao.campaigns import metrics
from anbiao.campaigns.models import Campaign
from anbiao.cases.choices import EventKind
from anbiao.cases.services import case_record_event
from anbiao.filings import services
from anbiao.filings.models import Filing
from anbiao.filings.periods import periods
from anbiao.filings.snapshot import scope_of


@transaction.atomic
def build_filings_demo() -> int:
    """File the demo periods; returns how many filings were added."""
    station = User.objects.filter(username="minan").first()
    district = User.objects.filter(username="quzhuanban").first()
    campaign = Campaign.objects.filter(slug="minan-2025").first()
    if station is None or district is None or campaign is None:
        return 0
    if Filing.objects.filter(campaign=campaign, region=station.region).exists():
        return 0
    found = periods(campaign, timezone.localdate())
    if len(found) < 2:
        return 0
    older, latest = found[-2], found[-1]
    first = services.filing_submit(
        actor=station, campaign=campaign, period=older.key, note="按月报送创建进度"
    )
    services.filing_receive(actor=district, filing=first)
    # Entered after that filing: two 应创企业 not started then are recorded as started before
    # the period's end (a late report of the station's own visits), so its figures changed.
    scope = scope_of(campaign, station.region, older.as_of)
    late = (
        metrics.enterprises_behind(scope, "not_started")
        .filter(ledger_since__lte=older.as_of - timedelta(days=5))
        .exclude(cases__events__isnull=False)
        .order_by("uscc")[:2]
    )
    for enterprise in late:
        case_record_event(
            actor=station,
            enterprise=enterprise,
            kind=EventKind.START,
            on=older.as_of - timedelta(days=5),
            note="补录:上月已上门启动创建",
        )
    services.filing_submit(actor=station, campaign=campaign, period=latest.key)
    return 2
