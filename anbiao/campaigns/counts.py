"""Every enterprise and certificate count of the campaign metrics, for one date or many, in one
SQL statement (docs/campaigns.md, "How the figures are computed").

The definitions are those of docs/campaigns.md's metrics table — the `where` filters of
`metrics.py` say the same thing in the ORM, and the equivalence tests hold the two equal. The
ORM form needs one correlated subquery per enterprise and metric, and one query per date; here
the ledger spans that cover each asked date are read once and every count is a conditional SUM
over them, so a province of 100,000 enterprises costs about what one hand-written aggregate
does (bench/metrics.py measures the ratio):

- in scope on D: a ledger span covering D, in the ledger, operating, of the campaign's sizes,
  outside the torch zone when the campaign excludes it, in the asked region, of the campaign's
  industries, and visible to the asking user (the `enterprises` queryset, compiled as
  `IN (subquery)`);
- started by D: a case step (not reversed) on or before D that no certificate lapsing before
  min(baseline, D) without a renewal by its expiry left behind;
- completed on D: a certificate issued by D, not expired, not void, not revoked or downgraded;
- new: never met every 应创 condition in the campaign's region on any day up to the baseline;
- trained by D: principal and safety manager both attended a session in the campaign period;
- due certificates by D: certificates of in-scope enterprises expiring between the campaign's
  start and D (one revoked or downgraded before its expiry never came due), renewed when a later
  certificate of the enterprise was issued by D (on time: by the expiry).
"""

from collections.abc import Iterable
from datetime import date

from django.db import connection
from django.db.models import QuerySet

from anbiao.accounts.models import Region
from anbiao.campaigns.models import Campaign
from anbiao.cases.choices import EventKind
from anbiao.enterprises.choices import OperatingStatus
from anbiao.enterprises.models import Enterprise
from anbiao.training.models import TraineeRole

# Events that show a case has started: any step of the path (history often begins at 申请评审).
PROGRESS_EVENTS = [k for k in EventKind.values if k not in (EventKind.CORRECTION, EventKind.EXPIRE)]

# What `for_dates` yields for each date, in the order of the statement's columns.
ENTERPRISE_KEYS = (
    "scope_total",
    "scope_started",
    "eligible_total",
    "started",
    "completed",
    "new_total",
    "new_started",
    "trained",
)
CERTIFICATE_KEYS = ("due_certificates", "renewed", "renewed_on_time")
KEYS = ENTERPRISE_KEYS + CERTIFICATE_KEYS


class _Statement:
    """SQL text and its positional parameters, appended in the order they appear. Only fixed
    fragments and `%s` placeholders are ever formatted into the text (hence the `noqa: S608`):
    every value is a parameter."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list = []

    def add(self, sql: str, *params) -> "_Statement":
        self.parts.append(sql)
        self.params.extend(params)
        return self

    @property
    def sql(self) -> str:
        return "".join(self.parts)


def _marks(items: Iterable) -> str:
    return ", ".join("%s" for _ in items) or "NULL"


def _day(value: date):
    return connection.ops.adapt_datefield_value(value)


# A certificate of the enterprise `{eid}` that lapsed before `{cut}` with no renewal issued by
# its expiry, while still running on the step's date `{on}`: the step does not count (the
# enterprise has to create again).
_LAPSE = """
      SELECT 1 FROM cases_certificate lp JOIN cases_case lc ON lc.id = lp.case_id
      WHERE lc.enterprise_id = {eid} AND lp.void = %s
        AND lp.expires_on >= {on} AND lp.expires_on < {cut}
        AND NOT EXISTS (
          SELECT 1 FROM cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id
          WHERE nc.enterprise_id = lc.enterprise_id AND nx.void = %s
            AND nx.issued_on > lp.issued_on AND nx.issued_on <= lp.expires_on)"""


def _span_scope(stmt: _Statement, campaign: Campaign, alias: str = "s") -> None:
    """The 应创 conditions a ledger span must meet besides its dates and eligibility."""
    sizes = [str(s) for s in campaign.sizes]
    stmt.add(
        f" {alias}.in_ledger = %s AND {alias}.status = %s AND {alias}.size IN ({_marks(sizes)})",
        True,
        OperatingStatus.OPERATING,
        *sizes,
    )
    if campaign.exclude_torch_zone:
        stmt.add(f" AND {alias}.torch_zone = %s", False)


def _visible(stmt: _Statement, enterprises: QuerySet[Enterprise], campaign: Campaign) -> None:
    """Restrict `s` to the campaign's industries among the enterprises the user may see."""
    base = enterprises.filter(industry__in=campaign.industries)
    if not enterprises.query.where:
        # Everything is visible: a join on the primary key instead of a subquery over the table.
        industries = list(campaign.industries)
        stmt.add(" AND EXISTS (SELECT 1 FROM enterprises_enterprise e WHERE e.id = s.enterprise_id")
        stmt.add(f" AND e.industry IN ({_marks(industries)}))", *industries)
        return
    sql, params = base.values("pk").query.sql_with_params()
    stmt.add(f" AND s.enterprise_id IN ({sql})", *params)


# The count that reads every valid certificate on each date; a date that does not need it (a
# target's pace or deadline on another metric) skips it.
COSTLY = ("completed",)


# What a breakdown groups by: the enterprise's current 镇街 (the parent of a 社区), its
# industry, or its size on the date.
GROUPS = {
    "subdistrict": "CASE WHEN gr.level = 'community' THEN gr.parent_id ELSE ge.region_id END",
    "industry": "ge.industry",
    "size": "s.size",
}
_GROUP_JOIN = """
  JOIN enterprises_enterprise ge ON ge.id = s.enterprise_id
  JOIN accounts_region gr ON gr.id = ge.region_id"""


def for_dates(
    campaign: Campaign,
    enterprises: QuerySet[Enterprise],
    area: Region,
    days: list[date],
    wanted: dict[date, set[str]] | None = None,
) -> dict[date, dict[str, int]]:
    """Every count of KEYS on each of `days`, for the enterprises of `enterprises` in `area`
    (a region inside the campaign's), in one statement. With `wanted`, a date whose set does
    not name `completed` is not given it (the other counts cost next to nothing more)."""
    if not days:
        return {}
    wanted = wanted or {}
    result = {}
    for day, _group, numbers in _count(campaign, enterprises, area, days, wanted, None):
        result[day] = {
            k: numbers[k] for k in KEYS if k not in COSTLY or k in wanted.get(day, COSTLY)
        }
    return result


def breakdown(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region, day: date, by: str
) -> list[dict]:
    """The enterprise counts of one date per group (GROUPS: subdistrict, industry or size), in
    the group's order; each row has `group` and the counts of ENTERPRISE_KEYS."""
    rows = _count(campaign, enterprises, area, [day], {}, GROUPS[by])
    return sorted(
        (
            {"group": group, **{k: numbers[k] for k in ENTERPRISE_KEYS}}
            for _d, group, numbers in rows
        ),
        key=lambda row: (row["group"] is None, row["group"]),
    )


def _count(
    campaign: Campaign,
    enterprises: QuerySet[Enterprise],
    area: Region,
    days: list[date],
    wanted: dict[date, set[str]],
    group: str | None,
) -> list[tuple[date, object, dict[str, int]]]:
    """The statement behind `for_dates` and `breakdown`: (date, group, counts) rows."""
    days = sorted(set(days))

    def needs(day: date, key: str) -> bool:
        return day not in wanted or key in wanted[day]

    baseline, last = campaign.baseline_on, days[-1]
    area_ids = list(Region.objects.filter(path__startswith=area.path).values_list("pk", flat=True))
    campaign_ids = list(
        Region.objects.filter(path__startswith=campaign.region.path).values_list("pk", flat=True)
    )
    cast = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
    stmt = _Statement()
    stmt.add(
        f"WITH dates(d, c) AS (VALUES {', '.join(f'({cast}, %s)' for _ in days)}),",
        *(v for d in days for v in (_day(d), int(needs(d, "completed")))),
    )
    # A step counts as started unless a certificate of the enterprise, running on the step's
    # date, lapsed before the cut-off (the baseline, or D when earlier) with no renewal by its
    # expiry. For dates from the baseline on, that is: the step came after the enterprise's last
    # such lapse (`lapsed_until`) — read from the few certificates that expired before the
    # baseline, not tested step by step. Earlier dates test their steps one by one below.
    stmt.add(
        f"""
lapsed AS (
  SELECT lc.enterprise_id AS eid, MAX(lp.expires_on) AS lapsed_until
  FROM cases_certificate lp JOIN cases_case lc ON lc.id = lp.case_id
  WHERE lp.void = %s AND lp.expires_on < %s
    AND NOT EXISTS (
      SELECT 1 FROM cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id
      WHERE nc.enterprise_id = lc.enterprise_id AND nx.void = %s
        AND nx.issued_on > lp.issued_on AND nx.issued_on <= lp.expires_on)
  GROUP BY lc.enterprise_id
),
started AS (
  SELECT c.enterprise_id AS eid, MIN(ev."on") AS first_on
  FROM cases_caseevent ev JOIN cases_case c ON c.id = ev.case_id
  LEFT JOIN lapsed ON lapsed.eid = c.enterprise_id
  WHERE ev.kind IN ({_marks(PROGRESS_EVENTS)}) AND ev."on" <= %s
    AND (lapsed.lapsed_until IS NULL OR ev."on" > lapsed.lapsed_until)
    AND NOT EXISTS (SELECT 1 FROM cases_caseevent r WHERE r.reverses_id = ev.id)
  GROUP BY c.enterprise_id
),""",  # noqa: S608
        False,
        _day(baseline),
        False,
        *PROGRESS_EVENTS,
        _day(last),
    )
    # Enterprises that met every 应创 condition in the campaign's region by the baseline.
    stmt.add("\nold AS (SELECT DISTINCT o.enterprise_id AS eid FROM enterprises_ledgerspan o WHERE")
    _span_scope(stmt, campaign, "o")
    stmt.add(
        f" AND o.eligibility = '1' AND o.starts_on <= %s AND o.region_id_on IN"
        f" ({_marks(campaign_ids)})),",
        _day(baseline),
        *campaign_ids,
    )
    early_started = """EXISTS (
      SELECT 1 FROM cases_caseevent ev JOIN cases_case c ON c.id = ev.case_id
      WHERE c.enterprise_id = s.enterprise_id AND ev.kind IN ({kinds}) AND ev."on" <= dates.d
        AND NOT EXISTS (SELECT 1 FROM cases_caseevent r WHERE r.reverses_id = ev.id)
        AND NOT EXISTS ({lapse}))""".format(  # noqa: S608
        kinds=_marks(PROGRESS_EVENTS),
        lapse=_LAPSE.format(eid="c.enterprise_id", on='ev."on"', cut="dates.d"),
    )
    early_params = [*PROGRESS_EVENTS, False, False]
    started = f"(CASE WHEN dates.d >= %s THEN st.first_on <= dates.d ELSE {early_started} END)"
    started_params = [_day(baseline), *early_params]

    # The day each enterprise had sent both its principal and its safety manager to a session
    # of the campaign period: trained on D when that day is on or before D.
    stmt.add(
        """
trained AS (
  SELECT eid, MAX(first_on) AS trained_on FROM (
    SELECT a.enterprise_id AS eid, a.role, MIN(se.held_on) AS first_on
    FROM training_attendance a JOIN training_session se ON se.id = a.session_id
    WHERE a.role IN (%s, %s) AND se.held_on >= %s AND se.held_on <= %s
    GROUP BY a.enterprise_id, a.role
  ) roles
  GROUP BY eid HAVING COUNT(*) = 2
),""",
        TraineeRole.PRINCIPAL,
        TraineeRole.SAFETY_MANAGER,
        _day(campaign.starts_on),
        _day(campaign.ends_on),
    )
    eligible = "s.eligibility = '1'"
    # SQLite: read the spans once, in table order, each against the few dates (CROSS JOIN fixes
    # the order) — left to itself it builds a temporary index over every span on each call.
    span_join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    group_join = _GROUP_JOIN if group else ""
    stmt.add(
        f"""
enterprise_counts AS (
  SELECT dates.d AS d, {group or "0"} AS g,
    COUNT(*) AS scope_total,
    SUM(CASE WHEN {started} THEN 1 ELSE 0 END) AS scope_started,
    SUM(CASE WHEN {eligible} THEN 1 ELSE 0 END) AS eligible_total,
    SUM(CASE WHEN {eligible} AND {started} THEN 1 ELSE 0 END) AS started,
    SUM(CASE WHEN {eligible} AND old.eid IS NULL THEN 1 ELSE 0 END) AS new_total,
    SUM(CASE WHEN {eligible} AND old.eid IS NULL AND {started} THEN 1 ELSE 0 END)
      AS new_started,
    SUM(CASE WHEN {eligible} AND tr.trained_on <= dates.d THEN 1 ELSE 0 END) AS trained
  FROM enterprises_ledgerspan s
  {span_join} dates
    ON s.starts_on <= dates.d AND (s.ends_on > dates.d OR s.ends_on IS NULL)
  LEFT JOIN started st ON st.eid = s.enterprise_id
  LEFT JOIN old ON old.eid = s.enterprise_id
  LEFT JOIN trained tr ON tr.eid = s.enterprise_id{group_join}
  WHERE""",  # noqa: S608
        *started_params,
        *started_params,
        *started_params,
    )
    _span_scope(stmt, campaign)
    stmt.add(f" AND s.region_id_on IN ({_marks(area_ids)})", *area_ids)
    _visible(stmt, enterprises, campaign)
    stmt.add(f"\n  GROUP BY dates.d{', ' + group if group else ''}\n),")
    # Completed: the valid certificates on each date, with the eligible in-scope span of their
    # enterprise (one enterprise may briefly hold two: the old and its renewal).
    stmt.add(
        f"""
completed_counts AS (
  SELECT dates.d AS d, {group or "0"} AS g, COUNT(DISTINCT c.enterprise_id) AS completed
  FROM dates
  JOIN cases_certificate ct ON ct.issued_on <= dates.d AND ct.expires_on >= dates.d
  JOIN cases_case c ON c.id = ct.case_id
  JOIN enterprises_ledgerspan s ON s.enterprise_id = c.enterprise_id
    AND s.starts_on <= dates.d AND (s.ends_on > dates.d OR s.ends_on IS NULL){group_join}
  WHERE dates.c = 1 AND ct.void = %s AND (ct.ended_on IS NULL OR ct.ended_on > dates.d)
    AND s.eligibility = '1' AND""",  # noqa: S608
        False,
    )
    _span_scope(stmt, campaign)
    stmt.add(f" AND s.region_id_on IN ({_marks(area_ids)})", *area_ids)
    _visible(stmt, enterprises, campaign)
    stmt.add(f"\n  GROUP BY dates.d{', ' + group if group else ''}\n),")
    # Certificates come due one by one: read only those expiring in the campaign period, with
    # the in-scope span of their enterprise on each date.
    stmt.add(
        """
certificate_counts AS (
  SELECT dates.d AS d,
    COUNT(*) AS due_certificates,
    SUM(CASE WHEN EXISTS (
      SELECT 1 FROM cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id
      WHERE nc.enterprise_id = c.enterprise_id AND nx.void = %s
        AND nx.issued_on > ct.issued_on AND nx.issued_on <= dates.d) THEN 1 ELSE 0 END)
      AS renewed,
    SUM(CASE WHEN EXISTS (
      SELECT 1 FROM cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id
      WHERE nc.enterprise_id = c.enterprise_id AND nx.void = %s
        AND nx.issued_on > ct.issued_on AND nx.issued_on <= dates.d
        AND nx.issued_on <= ct.expires_on) THEN 1 ELSE 0 END) AS renewed_on_time
  FROM dates
  JOIN cases_certificate ct ON ct.expires_on >= %s AND ct.expires_on <= dates.d
  JOIN cases_case c ON c.id = ct.case_id
  JOIN enterprises_ledgerspan s ON s.enterprise_id = c.enterprise_id
    AND s.starts_on <= dates.d AND (s.ends_on > dates.d OR s.ends_on IS NULL)
  WHERE ct.void = %s AND (ct.ended_on IS NULL OR ct.ended_on > ct.expires_on) AND""",
        False,
        False,
        _day(campaign.starts_on),
        False,
    )
    _span_scope(stmt, campaign)
    stmt.add(f" AND s.region_id_on IN ({_marks(area_ids)})", *area_ids)
    _visible(stmt, enterprises, campaign)
    stmt.add("\n  GROUP BY dates.d\n)")
    columns = ", ".join(
        [f"k.{k}" if k in COSTLY else f"e.{k}" for k in ENTERPRISE_KEYS]
        + [f"r.{k}" for k in CERTIFICATE_KEYS]
    )
    if group:  # a row per date and group in scope; certificates are not broken down
        stmt.add(
            f"""
SELECT e.d, e.g, {columns}
FROM enterprise_counts e
LEFT JOIN completed_counts k ON k.d = e.d AND k.g = e.g
LEFT JOIN certificate_counts r ON 1 = 0"""  # noqa: S608
        )
    else:
        stmt.add(
            f"""
SELECT dates.d, 0, {columns}
FROM dates
LEFT JOIN enterprise_counts e ON e.d = dates.d
LEFT JOIN completed_counts k ON k.d = dates.d
LEFT JOIN certificate_counts r ON r.d = dates.d"""  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(stmt.sql, stmt.params)
        rows = cursor.fetchall()
    found = []
    for day, group_value, *numbers in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        found.append(
            (day, group_value, {k: int(v or 0) for k, v in zip(KEYS, numbers, strict=True)})
        )
    return found


def on(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region, day: date
) -> dict[str, int]:
    """Every count of KEYS on one date (see `for_dates`)."""
    return for_dates(campaign, enterprises, area, [day])[day]
