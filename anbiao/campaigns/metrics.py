"""The campaign metrics of DESIGN §4 as pure functions of (campaign, enterprises, region, date).

Everything is derived from dated facts (the ledger), case events and certificates, so the value
on a past date is what it was then. `enterprises` is the base queryset — already restricted to
what the asking user may see — so the dashboard, the CLI, the API and the reports share one
definition. Rates are fractions in [0, 1], or None when the denominator is zero.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, When

from anbiao.accounts.models import Region
from anbiao.campaigns.models import Campaign
from anbiao.cases.choices import EventKind
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.enterprises import ledger
from anbiao.enterprises.models import Enterprise

# Events that show a case has started: any step of the path (history often begins at 申请评审).
PROGRESS_EVENTS = [k for k in EventKind.values if k not in (EventKind.CORRECTION, EventKind.EXPIRE)]


def rate(numerator: int, denominator: int) -> float | None:
    return None if not denominator else numerator / denominator


@dataclass(frozen=True)
class Scope:
    """Where and when metrics are asked: a campaign, the visible enterprises, a region, a date."""

    campaign: Campaign
    enterprises: QuerySet[Enterprise]
    on: date
    region: Region | None = None

    @property
    def area(self) -> Region:
        """The region asked about, never wider than the campaign's."""
        if self.region is not None and self.region.path.startswith(self.campaign.region.path):
            return self.region
        return self.campaign.region

    def at(self, on: date) -> "Scope":
        return Scope(self.campaign, self.enterprises, on, self.region)


def started_q(on: date) -> Exists:
    return Exists(
        CaseEvent.objects.filter(
            case__enterprise=OuterRef("pk"),
            kind__in=PROGRESS_EVENTS,
            on__lte=on,
            reversed_by__isnull=True,
        )
    )


def certified_q(on: date) -> Exists:
    """Holds a certificate valid on `on` (issued, not expired, not revoked or downgraded)."""
    return Exists(
        Certificate.objects.filter(
            case__enterprise=OuterRef("pk"),
            void=False,
            issued_on__lte=on,
            expires_on__gte=on,
        ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
    )


def in_scope(scope: Scope) -> QuerySet[Enterprise]:
    """The campaign's scope on the date, annotated with `is_started` and `is_certified`."""
    campaign = scope.campaign
    base = scope.enterprises.filter(industry__in=campaign.industries)
    return ledger.in_scope(
        base,
        scope.on,
        scope.area,
        sizes=campaign.sizes,
        exclude_torch_zone=campaign.exclude_torch_zone,
    ).annotate(is_started=started_q(scope.on), is_certified=certified_q(scope.on))


ELIGIBLE = Q(span_on__eligibility="1")


def _counts(scope: Scope, qs: QuerySet) -> dict:
    new = Q(entered_on__gt=scope.campaign.baseline_on)
    return qs.aggregate(
        scope_total=Count("pk"),
        scope_started=Count("pk", filter=Q(is_started=True)),
        eligible_total=Count("pk", filter=ELIGIBLE),
        started=Count("pk", filter=ELIGIBLE & Q(is_started=True)),
        completed=Count("pk", filter=ELIGIBLE & Q(is_certified=True)),
        new_total=Count("pk", filter=ELIGIBLE & new),
        new_started=Count("pk", filter=ELIGIBLE & new & Q(is_started=True)),
    )


def rate_counts(scope: Scope) -> dict:
    """The counts and rates of the burn-up chart, in one query (no renewals, benchmarks or
    training), for a monthly series."""
    counts = _counts(scope, in_scope(scope))
    return {
        "eligible_total": counts["eligible_total"],
        "started": counts["started"],
        "completed": counts["completed"],
        "start_rate": rate(counts["started"], counts["eligible_total"]),
        "completion_rate": rate(counts["completed"], counts["eligible_total"]),
        "coverage_rate": rate(counts["scope_started"], counts["scope_total"]),
    }


def renewal_counts(scope: Scope) -> dict:
    """Certificates of in-scope enterprises that reached expiry within the campaign period by
    the date, and how many were succeeded by a new certificate (by then / by the expiry)."""
    campaign, on = scope.campaign, scope.on
    due = Certificate.objects.filter(
        void=False,
        expires_on__gte=campaign.starts_on,
        expires_on__lte=on,
        case__enterprise__in=in_scope(scope).values("pk"),
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=F("expires_on")))
    successor = Certificate.objects.filter(replaces=OuterRef("pk"), void=False)
    return due.aggregate(
        due_certificates=Count("pk"),
        renewed=Count("pk", filter=Q(Exists(successor.filter(issued_on__lte=on)))),
        renewed_on_time=Count(
            "pk",
            filter=Q(
                Exists(
                    successor.filter(issued_on__lte=on).filter(
                        issued_on__lte=OuterRef("expires_on")
                    )
                )
            ),
        ),
    )


# Which metrics each part of `compute` yields, so a caller can ask for only what it needs.
GROUPS = {
    "renewals": {"due_certificates", "renewed", "renewal_rate", "renewal_on_time_rate"},
    "benchmarks": {"benchmark_candidates", "benchmarks", "catalog_size"},
    "training": {"training_coverage_rate"},
}


def compute(scope: Scope, keys: set[str] | None = None) -> dict[str, int | float | None]:
    """All metrics of DESIGN §4 for one scope and date (or those in `keys`, plus the counts,
    which one query gives anyway)."""
    from anbiao.benchmarks.selectors import benchmark_counts
    from anbiao.training.selectors import trained_enterprise_ids

    def wanted(group: str) -> bool:
        return keys is None or bool(GROUPS[group] & keys)

    qs = in_scope(scope)
    counts = _counts(scope, qs)
    campaign = scope.campaign
    eligible_total = counts["eligible_total"]
    values = {
        "eligible_total": eligible_total,
        "scope_total": counts["scope_total"],
        "started": counts["started"],
        "completed": counts["completed"],
        "completion_rate": rate(counts["completed"], eligible_total),
        "start_rate": rate(counts["started"], eligible_total),
        "coverage_rate": rate(counts["scope_started"], counts["scope_total"]),
        "new_total": counts["new_total"],
        "new_started": counts["new_started"],
        "new_start_rate": rate(counts["new_started"], counts["new_total"]),
    }
    if wanted("renewals"):
        renewals = renewal_counts(scope)
        values.update(
            {
                "due_certificates": renewals["due_certificates"],
                "renewed": renewals["renewed"],
                "renewal_rate": rate(renewals["renewed"], renewals["due_certificates"]),
                "renewal_on_time_rate": rate(
                    renewals["renewed_on_time"], renewals["due_certificates"]
                ),
            }
        )
    if wanted("benchmarks"):
        values.update(
            benchmark_counts(
                scope.enterprises.filter(region__path__startswith=scope.area.path), scope.on
            )
        )
    if wanted("training"):
        period_end = min(scope.on, campaign.ends_on)
        trained = (
            trained_enterprise_ids(qs.filter(ELIGIBLE), campaign.starts_on, period_end)
            if period_end >= campaign.starts_on
            else set()
        )
        values["training_coverage_rate"] = rate(len(trained), eligible_total)
    return values


def subdistrict_expr():
    """The 镇街 of an enterprise's current region (its parent when the region is a 社区)."""
    return Case(
        When(region__level="community", then=F("region__parent_id")),
        default=F("region_id"),
        output_field=IntegerField(),
    )


def breakdown(scope: Scope, by: str) -> list[dict]:
    """Counts and rates per 镇街 ("subdistrict"), industry or size ("size", as of the date)."""
    qs = in_scope(scope)
    if by == "subdistrict":
        qs = qs.annotate(group=subdistrict_expr())
    elif by == "industry":
        qs = qs.annotate(group=F("industry"))
    elif by == "size":
        qs = qs.annotate(group=F("on_size"))
    else:
        raise ValueError(by)
    rows = (
        qs.values("group")
        .annotate(
            scope_total=Count("pk"),
            eligible_total=Count("pk", filter=ELIGIBLE),
            started=Count("pk", filter=ELIGIBLE & Q(is_started=True)),
            completed=Count("pk", filter=ELIGIBLE & Q(is_certified=True)),
        )
        .order_by("group")
    )
    result = []
    for row in rows:
        row["start_rate"] = rate(row["started"], row["eligible_total"])
        row["completion_rate"] = rate(row["completed"], row["eligible_total"])
        result.append(row)
    return result


def enterprises_behind(scope: Scope, metric: str) -> QuerySet[Enterprise]:
    """The enterprises a number on the dashboard counts (for its drill-down list)."""
    qs = in_scope(scope)
    new = Q(entered_on__gt=scope.campaign.baseline_on)
    filters = {
        "scope_total": Q(),
        "eligible_total": ELIGIBLE,
        "started": ELIGIBLE & Q(is_started=True),
        "not_started": ELIGIBLE & Q(is_started=False),
        "completed": ELIGIBLE & Q(is_certified=True),
        "not_completed": ELIGIBLE & Q(is_certified=False),
        "coverage_missing": Q(is_started=False),
        "new_total": ELIGIBLE & new,
        "new_started": ELIGIBLE & new & Q(is_started=True),
        "new_not_started": ELIGIBLE & new & Q(is_started=False),
    }
    if metric not in filters:
        raise KeyError(metric)
    return qs.filter(filters[metric])


SERIES_SQL = """
WITH dates(d) AS (VALUES {dates}),
started AS (
  SELECT c.enterprise_id AS eid, MIN(ev."on") AS first_on
  FROM cases_caseevent ev JOIN cases_case c ON c.id = ev.case_id
  WHERE ev.kind IN ({kinds})
    AND NOT EXISTS (SELECT 1 FROM cases_caseevent r WHERE r.reverses_id = ev.id)
  GROUP BY c.enterprise_id
)
SELECT dates.d,
  COUNT(*),
  SUM(CASE WHEN st.first_on <= dates.d THEN 1 ELSE 0 END),
  SUM(CASE WHEN s.eligibility = '1' THEN 1 ELSE 0 END),
  SUM(CASE WHEN s.eligibility = '1' AND st.first_on <= dates.d THEN 1 ELSE 0 END),
  SUM(CASE WHEN s.eligibility = '1' AND EXISTS (
        SELECT 1 FROM cases_certificate ct JOIN cases_case c2 ON c2.id = ct.case_id
        WHERE c2.enterprise_id = s.enterprise_id AND ct.void = %s
          AND ct.issued_on <= dates.d AND ct.expires_on >= dates.d
          AND (ct.ended_on IS NULL OR ct.ended_on > dates.d)) THEN 1 ELSE 0 END)
FROM dates
JOIN enterprises_ledgerspan s
  ON s.starts_on <= dates.d AND (s.ends_on > dates.d OR s.ends_on IS NULL)
LEFT JOIN started st ON st.eid = s.enterprise_id
WHERE s.in_ledger = %s AND s.status = %s AND s.size IN ({sizes}) {torch}
  AND s.region_id_on IN ({regions}) AND s.enterprise_id IN ({visible})
GROUP BY dates.d
"""


def rate_series(scope: Scope, days: list[date]) -> dict[date, dict]:
    """`rate_counts` at many dates in one statement (the burn-up chart): the same definitions,
    read from ledger spans joined to a list of dates instead of one query per date."""
    from django.db import connection

    from anbiao.enterprises.choices import OperatingStatus

    campaign = scope.campaign
    visible_sql, visible_params = (
        scope.enterprises.filter(industry__in=campaign.industries)
        .values("pk")
        .query.sql_with_params()
    )
    regions = list(
        Region.objects.filter(path__startswith=scope.area.path).values_list("pk", flat=True)
    )
    day_sql = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"

    def marks(items) -> str:
        return ", ".join(["%s"] * len(items))

    sql = SERIES_SQL.format(
        dates=", ".join(f"({day_sql})" for _ in days),
        kinds=marks(PROGRESS_EVENTS),
        sizes=marks(campaign.sizes),
        regions=marks(regions) or "NULL",
        visible=visible_sql,
        torch="AND s.torch_zone = %s" if campaign.exclude_torch_zone else "",
    )
    params = [
        *(connection.ops.adapt_datefield_value(d) for d in days),
        *PROGRESS_EVENTS,
        False,
        True,
        OperatingStatus.OPERATING,
        *campaign.sizes,
        *([False] if campaign.exclude_torch_zone else []),
        *regions,
        *visible_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = {
        d: {"scope_total": 0, "scope_started": 0, "eligible_total": 0, "started": 0, "completed": 0}
        for d in days
    }
    for day, *numbers in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        keys = ("scope_total", "scope_started", "eligible_total", "started", "completed")
        result[day] = {k: int(v or 0) for k, v in zip(keys, numbers, strict=True)}
    return {
        d: {
            "eligible_total": c["eligible_total"],
            "started": c["started"],
            "completed": c["completed"],
            "start_rate": rate(c["started"], c["eligible_total"]),
            "completion_rate": rate(c["completed"], c["eligible_total"]),
            "coverage_rate": rate(c["scope_started"], c["scope_total"]),
        }
        for d, c in result.items()
    }
