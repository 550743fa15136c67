"""信息报送's part in the reminder rules (reference_data/reminders.yaml): the `filing_due`
query — each 镇街's scheduled filings not yet made (or returned), by due date. Registered with
the notifications app when this app is ready, so that app never imports this one."""

from collections.abc import Iterable
from datetime import date

from django.urls import reverse

from anbiao.accounts.models import Region
from anbiao.campaigns.models import Campaign
from anbiao.filings.models import Filing
from anbiao.filings.periods import periods
from anbiao.filings.selectors import standing_filings
from anbiao.notifications.queries import Subject, horizon, lookback, query


@query("filing_due")
def filing_due(on: date, rule) -> Iterable[Subject]:
    """Per campaign with a schedule, per 镇街 and period due within the rule's reach: the ones
    not filed, or whose filing was returned. The subject is the 镇街 (one reminder per period:
    the due date is part of a reminder's key)."""
    latest, earliest = horizon(on, rule), lookback(on, rule)
    for campaign in Campaign.objects.select_related("region").exclude(filing_frequency="none"):
        due = [p for p in periods(campaign, latest) if p.due_on and earliest <= p.due_on <= latest]
        if not due:
            continue
        filed = {
            (f.region_id, f.period)
            for f in standing_filings(Filing.objects.filter(campaign=campaign))
        }
        regions = Region.objects.filter(
            path__startswith=campaign.region.path, level="subdistrict"
        ).order_by("code")
        for region in regions:
            for period in due:
                if (region.pk, period.key) in filed:
                    continue
                yield Subject(
                    obj=region,
                    due_on=period.due_on,
                    region=region,
                    url=reverse("filings:list") + f"?campaign={campaign.slug}",
                    context={
                        "region": region.name,
                        "campaign": campaign.name,
                        "period": period.label,
                    },
                )
