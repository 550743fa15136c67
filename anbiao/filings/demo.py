"""Demo data for 信息报送: the 民安 station filed the second-latest period of minan-2025 and the
区专班 received it; afterwards two enterprises were added to the ledger back-dated (a 摸排补录),
so that filing's page shows "why did it change"; the latest period is filed and awaits receipt.
Idempotent: nothing is added when the station has filed before."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import User
from anbiao.campaigns.models import Campaign
from anbiao.core.uscc import check_character
from anbiao.enterprises.choices import FactSource, Industry, Size
from anbiao.enterprises.models import Enterprise
from anbiao.enterprises.services import enterprise_create
from anbiao.filings import services
from anbiao.filings.models import Filing
from anbiao.filings.periods import periods

LATE_ENTRIES = ("厦门恒泰精密五金有限公司", "厦门民兴塑胶制品有限公司")


def _uscc(n: int) -> str:
    body = f"91350213MA7K3P1{n:02d}"
    return body + check_character(body)


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
    community = station.region.children.order_by("code").first() or station.region
    for n, name in enumerate(LATE_ENTRIES, start=1):
        if Enterprise.objects.filter(uscc=_uscc(n)).exists():
            continue
        on = older.as_of - timedelta(days=20 * n)
        enterprise_create(
            actor=station,
            data={
                "name": name,
                "uscc": _uscc(n),
                "region": community,
                "industry": Industry.MACHINERY if n == 1 else Industry.LIGHT_INDUSTRY,
                "size": Size.MICRO,
                "employees": 12,
                "ledger_since": on,
                "eligible": True,
                "principal_name": "林志强" if n == 1 else "陈美玲",
            },
            effective_on=on,
            source=FactSource.SURVEY,
        )
    services.filing_submit(actor=station, campaign=campaign, period=latest.key)
    return 2
