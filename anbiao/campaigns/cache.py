"""Memoized metric values for the dashboard. A value is keyed by the campaign, the asking
user's scope, the area, the date and a data version — the newest change-log entry, case event
and ledger span — so any audited write anywhere makes every cached value stale at once."""

from django.core.cache import cache
from django.db.models import Max

from anbiao.accounts.scope import scope_key
from anbiao.campaigns.metrics import Scope
from anbiao.cases.models import CaseEvent
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import LedgerSpan

TIMEOUT = 6 * 3600


def data_version() -> str:

    parts = [
        model.objects.aggregate(m=Max("pk"))["m"] or 0
        for model in (ChangeLog, CaseEvent, LedgerSpan)
    ]
    return "-".join(str(p) for p in parts)


class CachedMetrics:
    """Call `get(kind, scope, compute)`; the version is read once per instance (per page)."""

    def __init__(self, user):
        self.user_key = scope_key(user)
        self.version = data_version()

    def get(self, kind: str, scope: Scope, compute):
        key = (
            f"metrics:{kind}:{scope.campaign.pk}:{scope.campaign.updated_at.timestamp()}:"
            f"{self.user_key}:{scope.area.pk}:{scope.on.isoformat()}:{self.version}"
        )
        value = cache.get(key)
        if value is None:
            value = compute(scope)
            cache.set(key, value, TIMEOUT)
        return value
