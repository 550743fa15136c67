"""Every enterprise and certificate count of the campaign metrics, for one date or many, in one
SQL statement (docs/campaigns.md, "How the figures are computed").

The definitions are those of docs/campaigns.md's metrics table — the `where` filters of
`metrics.py` say the same thing in the ORM, and the equivalence tests hold the two equal. The
ORM form needs one correlated subquery per enterprise and metric, and one query per date; here
each count is the number of periods covering the date (spans, and their overlaps with started,
certified and trained periods and due certificates), read once from their start and end dates
whatever the number of dates (`_count`), so a province of 100,000 enterprises costs about what
one hand-written aggregate of one date does (bench/metrics.py measures the ratio):

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

import hashlib
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import cached_property

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.campaigns import day_tables
from anbiao.campaigns.figure_version import BLOCK, data_version
from anbiao.campaigns.models import Campaign
from anbiao.cases.choices import CaseState, EventKind
from anbiao.enterprises.choices import EntryReason, FactKind, OperatingStatus
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
# One day's changes of the counts: (day, the values of the groups, how much each count rises
# or falls that day).
Delta = tuple[date, tuple, tuple[int, ...]]
# How long a scope's changes by day stay cached (`for_dates`): a write moves the data version
# anyway, so this only frees the space of scopes no longer asked.
DAY_TABLE_TIMEOUT = 6 * 3600
# The group of the statement counting by block of enterprises (`day_tables.py`).
BY_BLOCK = f"s.enterprise_id / {BLOCK}"
# A campaign ended longer ago than this is no longer counted in the background unless asked.
RECENT_CAMPAIGN = timedelta(days=365)
# Held while a worker keeps the counts current (`keep_current`); expires if the worker dies.
KEEPING_KEY = "counts:keeping"
KEEPING_FOR = 15 * 60
# The dashboard's statement adds, per state, the cases of the 应创企业 in that state.
STATE_KEYS = tuple(f"state_{value}" for value in CaseState.values)


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
) -> dict[date, dict[str, int]]:
    """Every count of KEYS on each of `days`, for the enterprises of `enterprises` in `area`
    (a region inside the campaign's), in one statement (one sweep yields every count of every
    date at once: none is left out for a date that does not need it).

    Outside a transaction the statement's changes by day, for every day, are kept in the cache
    under the data version (`figure_version.py`): until the next write, any other date of the
    same scope is a sum over those days, with no statement; after a write, only the blocks of
    enterprises it touched are counted again (`day_tables.py`). Inside a transaction the data
    may yet be rolled back and the version taken again by other data: nothing is kept or read."""
    if not days:
        return {}
    found = {day: dict.fromkeys(KEYS, 0) for day in days}
    if connection.in_atomic_block:
        rows = _count(campaign, enterprises, area, list(days))
    else:
        rows = _sum_up(_day_table(campaign, enterprises, area), list(days))
    for day, _groups, numbers in rows:
        found[day] = numbers
    return found


def _day_table(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region
) -> tuple[tuple[str, ...], list[Delta]]:
    """The changes by day of every count of a scope over all days, from the cache at the
    current data version, else from the kept table with the blocks written since recounted
    (`day_tables.current`), then cached. The version is read before the data: after a write
    meanwhile, a reader sees a newer version and does not take these."""
    version = data_version()
    stmt, keys = _statement(campaign, enterprises, area, date.min, date.max)
    digest = digest_of(stmt)
    key = _days_key(version, digest)

    def by_block(blocks: list[int] | None) -> tuple[_Statement, tuple[str, ...]]:
        return _statement(
            campaign, enterprises, area, date.min, date.max, (BY_BLOCK,), blocks=blocks
        )

    table = cache.get(key)
    if table is None:

        def recount(blocks: list[int] | None, split: bool) -> day_tables.Table:
            return _run(*by_block(blocks), 1) if split else _run(stmt, keys, 1)

        table = day_tables.current(digest, recount)
        cache.set(key, table, DAY_TABLE_TIMEOUT)
    day_tables.remember(digest, lambda: by_block(None))
    return table


def _days_key(version: int, digest: str) -> str:
    return f"counts:days:{version}:{digest}"


def keep_current() -> int:
    """Count again, by block, each scope asked lately (`day_tables.remember`), and each recent
    campaign's own (its whole region, every enterprise: what `anbiao kpi` counts), whose kept
    counts the next reader could not patch — after an import, or a change to a region or a
    campaign — and keep them under the current data version, so that whoever asks next
    (`anbiao kpi`, a printout, a dashboard's refresh) sums kept days instead of counting a
    province; returns how many scopes were counted. The background worker runs it
    (campaigns/tasks.py)."""
    if connection.in_atomic_block:
        return 0  # what is counted here could yet be rolled back (see `for_dates`)
    # One worker at a time (an import's run and a clock's tick may meet): the other leaves what
    # is left to the next tick rather than count the same province twice.
    if not cache.add(KEEPING_KEY, True, KEEPING_FOR):
        return 0
    try:
        return _keep_current()
    finally:
        cache.delete(KEEPING_KEY)


def _keep_current() -> int:
    recent = timezone.localdate() - RECENT_CAMPAIGN
    scopes = {}
    for campaign in Campaign.objects.filter(ends_on__gte=recent).select_related("region"):
        everyone = Enterprise.objects.all()
        whole, _keys = _statement(campaign, everyone, campaign.region, date.min, date.max)
        scopes[digest_of(whole)] = _statement(
            campaign, everyone, campaign.region, date.min, date.max, (BY_BLOCK,)
        )
    scopes.update(day_tables.asked())
    counted = 0
    for digest, (stmt, keys) in scopes.items():
        version = data_version()
        table = day_tables.keep_current(digest, lambda stmt=stmt, keys=keys: _run(stmt, keys, 1))
        if table is not None:
            cache.set(_days_key(version, digest), table, DAY_TABLE_TIMEOUT)
            counted += 1
    return counted


def digest_of(stmt: _Statement) -> str:
    """The name of a scope's kept counts: its statement, parameters included."""
    return hashlib.sha256(repr((stmt.sql, stmt.params)).encode()).hexdigest()


def breakdown(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region, day: date, by: str
) -> list[dict]:
    """The enterprise counts of one date per group (GROUPS: subdistrict, industry or size), in
    the group's order; each row has `group` and the counts of ENTERPRISE_KEYS."""
    rows = _count(campaign, enterprises, area, [day], (GROUPS[by],))
    return _by_group(((group, numbers) for _d, (group,), numbers in rows), ENTERPRISE_KEYS)


def _by_group(rows: Iterable[tuple[object, dict[str, int]]], keys: Iterable[str]) -> list[dict]:
    """Rows summed per group, in the group's order (None last); a group with no enterprise in
    scope on the date is left out."""
    keys = tuple(keys)
    sums: dict[object, dict[str, int]] = {}
    for group, numbers in rows:
        row = sums.setdefault(group, dict.fromkeys(keys, 0))
        for k in keys:
            row[k] += numbers[k]
    return sorted(
        ({"group": group, **numbers} for group, numbers in sums.items() if numbers["scope_total"]),
        key=lambda row: (row["group"] is None, row["group"]),
    )


def dashboard(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region, day: date
) -> dict:
    """The dashboard's figures of one date besides the metrics, in one statement (see
    `Sweep.dashboard`)."""
    return Sweep(campaign, enterprises, area, [day]).dashboard(day)


class Sweep:
    """Every count of a scope on a set of dates, per 镇街, industry and why an enterprise is
    new, with the 应创企业's cases by state: what the dashboard shows (the metrics and targets,
    the monthly series, the breakdowns, the funnel, new enterprises by reason) from one
    statement, run when first asked. Counts add up over the groups, so a date's totals are
    their sum."""

    def __init__(
        self,
        campaign: Campaign,
        enterprises: QuerySet[Enterprise],
        area: Region,
        days: Iterable[date] | Callable[[], Iterable[date]],
    ) -> None:
        """`days`: the dates, or a function giving them — asked only when a figure is computed
        (a visit served from the cache reads nothing more)."""
        self.campaign, self.enterprises, self.area = campaign, enterprises, area
        self._days = days
        self._rows: list[tuple[date, tuple, dict[str, int]]] | None = None

    @cached_property
    def days(self) -> set[date]:
        return set(self._days() if callable(self._days) else self._days)

    def covers(self, days) -> bool:
        return set(days) <= self.days

    def rows(self, day: date) -> list[tuple[tuple, dict[str, int]]]:
        if self._rows is None:
            groups = (GROUPS["subdistrict"], GROUPS["industry"], "rs.reason")
            self._rows = _count(
                self.campaign, self.enterprises, self.area, sorted(self.days), groups, extras=True
            )
        return [(g, numbers) for d, g, numbers in self._rows if d == day]

    def for_dates(self, days) -> dict[date, dict[str, int]]:
        """As `for_dates`, summed over the groups."""
        found = {}
        for day in days:
            found[day] = dict.fromkeys(KEYS, 0)
            for _g, numbers in self.rows(day):
                for k in KEYS:
                    found[day][k] += numbers[k]
        return found

    def dashboard(self, day: date) -> dict:
        """On `day`: the counts per 镇街 and per industry (as `breakdown`), the 应创企业's cases
        by state ({state: n}) and the new 应创企业 by why they are new ({reason: (total,
        started)}, see `_extras`)."""
        rows = self.rows(day)
        states = {value: sum(n[f"state_{value}"] for _g, n in rows) for value in CaseState.values}
        reasons: dict[str, tuple[int, int]] = {}
        for (_sub, _industry, reason), numbers in rows:
            if reason is not None and numbers["new_total"]:
                total, started = reasons.get(reason, (0, 0))
                reasons[reason] = (total + numbers["new_total"], started + numbers["new_started"])
        return {
            "by_subdistrict": _by_group(((g[0], n) for g, n in rows), ENTERPRISE_KEYS),
            "by_industry": _by_group(((g[1], n) for g, n in rows), ENTERPRISE_KEYS),
            "states": {k: v for k, v in states.items() if v},
            "new_by_reason": reasons,
        }


class _Blocks:
    """`only(alias)`: SQL restricting `alias.enterprise_id` to the enterprises of `blocks` (ids
    divided by BLOCK), as ranges of ids an index reads; "" for every enterprise. Its parameters
    (`only.params`) follow each use."""

    def __init__(self, blocks: list[int] | None) -> None:
        self.ranges: list[tuple[int, int]] = []
        for block in sorted(set(blocks or ())):
            if self.ranges and self.ranges[-1][1] == block * BLOCK - 1:
                self.ranges[-1] = (self.ranges[-1][0], (block + 1) * BLOCK - 1)
            else:
                self.ranges.append((block * BLOCK, (block + 1) * BLOCK - 1))
        self.params = [bound for pair in self.ranges for bound in pair]
        self.blocks = blocks

    def __call__(self, alias: str) -> str:
        if self.blocks is None:
            return ""
        if not self.ranges:
            return " AND 1 = 0"
        either = " OR ".join(f"{alias}.enterprise_id BETWEEN %s AND %s" for _ in self.ranges)
        return f" AND ({either})"


def _later(a: str, b: str) -> str:
    """The later of two dates, neither NULL (GREATEST and MAX(a, b) differ between engines)."""
    return f"CASE WHEN {a} > {b} THEN {a} ELSE {b} END"


def _earlier(a: str, b: str) -> str:
    """The earlier of two period ends, NULL meaning open-ended."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} < {b} THEN {a} ELSE {b} END"


def _day_after(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} + 1)"
    return f"date({column}, '+1 day')"


def _flags(keys: tuple[str, ...], **given: str) -> str:
    """The counts a period adds to: a column per key, 0 unless given."""
    return ", ".join(f"{given.get(k, '0')} AS {k}" for k in keys)


_EXTRAS_JOIN = """
  LEFT JOIN reasons rs ON rs.eid = s.enterprise_id
  LEFT JOIN case_states cs ON cs.eid = s.enterprise_id"""


def _extras(stmt: _Statement, campaign: Campaign, campaign_ids: list[int], day: date) -> None:
    """The dashboard's CTEs: each enterprise's cases by state, and why each new enterprise is
    new on `day` (`metrics.entry_reasons` in SQL): its latest `ENTRY` fact by then, else what
    changed on its first day in scope, read from its ledger span that ended that day — none or
    out of the ledger: 摸排补录; in another region or the torch zone: 迁入; of another size:
    规模变化; without an operating status: 新设; otherwise 摸排补录."""
    sizes = [str(s) for s in campaign.sizes]
    torch = " OR b.torch_zone = %s" if campaign.exclude_torch_zone else ""
    state_sums = ", ".join(
        f"SUM(CASE WHEN state = %s THEN 1 ELSE 0 END) AS {k}" for k in STATE_KEYS
    )
    stmt.add(
        f"""
entries AS (
  SELECT f.enterprise_id AS eid, f.value FROM enterprises_enterprisefact f
  WHERE f.kind = %s AND f.effective_on <= %s AND NOT EXISTS (
    SELECT 1 FROM enterprises_enterprisefact n
    WHERE n.enterprise_id = f.enterprise_id AND n.kind = f.kind AND n.effective_on <= %s
      AND (n.effective_on > f.effective_on OR (n.effective_on = f.effective_on AND n.id > f.id)))
),
reasons AS (
  SELECT fi.eid, COALESCE(en.value, CASE
    WHEN b.id IS NULL OR b.in_ledger = %s THEN %s
    WHEN b.region_id_on NOT IN ({_marks(campaign_ids)}){torch} THEN %s
    WHEN b.size NOT IN ({_marks(sizes)}) THEN %s
    WHEN COALESCE(b.status, '') = '' THEN %s
    ELSE %s END) AS reason
  FROM firsts fi
  LEFT JOIN entries en ON en.eid = fi.eid
  LEFT JOIN enterprises_ledgerspan b ON b.enterprise_id = fi.eid AND b.ends_on = fi.first_on
  WHERE fi.first_on > %s
),
case_states AS (
  SELECT enterprise_id AS eid, {state_sums}
  FROM cases_case GROUP BY enterprise_id
),""",  # noqa: S608
        FactKind.ENTRY,
        _day(day),
        _day(day),
        False,
        EntryReason.SURVEY,
        *campaign_ids,
        *([True] if campaign.exclude_torch_zone else []),
        EntryReason.MOVED_IN,
        *sizes,
        EntryReason.SIZE_CHANGE,
        EntryReason.ESTABLISHED,
        EntryReason.SURVEY,
        _day(campaign.baseline_on),
        *CaseState.values,
    )


def _count(
    campaign: Campaign,
    enterprises: QuerySet[Enterprise],
    area: Region,
    days: list[date],
    groups: tuple[str, ...] = (),
    extras: bool = False,
) -> list[tuple[date, tuple, dict[str, int]]]:
    """The counts behind `breakdown` and `dashboard`: (date, the values of `groups`, counts)
    rows; `extras` adds the case states (STATE_KEYS) and each new enterprise's reason
    (`rs.reason`, for `groups`)."""
    days = sorted(set(days))
    stmt, keys = _statement(campaign, enterprises, area, days[0], days[-1], groups, extras)
    return _sum_up(_run(stmt, keys, max(len(groups), 1)), days)


def _statement(
    campaign: Campaign,
    enterprises: QuerySet[Enterprise],
    area: Region,
    first: date,
    last: date,
    groups: tuple[str, ...] = (),
    extras: bool = False,
    blocks: list[int] | None = None,
) -> tuple[_Statement, tuple[str, ...]]:
    """The statement giving, by day and by the values of `groups`, how much each count (its
    keys) rises or falls on that day: summed over the days up to a date, the counts of the
    date, for any date from `first` to `last`.

    Every count is a number of periods covering the date: an in-scope ledger span, and its
    overlap with the enterprise's started periods, with its trained period, with its certified
    periods, with each due certificate. The statement lists those periods once (each from the
    start/end dates of spans, steps and certificates, whatever the number of dates), turns
    each into +1 on its first day and −1 on the day after its last, sums them by day, and each
    asked date adds up the days up to it — instead of testing every span against every date.
    `blocks`: only the enterprises of these blocks of ids (`day_tables.py`), in every period.
    """
    only = _Blocks(blocks)
    baseline = campaign.baseline_on
    area_ids = list(Region.objects.filter(path__startswith=area.path).values_list("pk", flat=True))
    campaign_ids = list(
        Region.objects.filter(path__startswith=campaign.region.path).values_list("pk", flat=True)
    )
    stmt = _Statement()
    stmt.add("WITH")
    # A step counts as started on D unless a certificate of the enterprise, running on the
    # step's date, lapsed before the cut-off min(baseline, D) with no renewal by its expiry.
    # With x the first such lapse on or after the step's date t (`lapse`: the few certificates
    # that expired before the baseline unrenewed), the step counts from t to x inclusive, or
    # from t on when there is none. Steps sharing their x make one period; periods of different
    # x do not overlap (each lies between two lapses), so they add up per enterprise. Most
    # steps have no lapse after them: those make one period per enterprise without looking up
    # x step by step.
    stmt.add(
        f"""
lapse AS (
  SELECT lc.enterprise_id AS eid, lp.expires_on AS until
  FROM cases_certificate lp JOIN cases_case lc ON lc.id = lp.case_id
  WHERE lp.void = %s AND lp.expires_on < %s
    AND NOT EXISTS (
      SELECT 1 FROM cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id
      WHERE nc.enterprise_id = lc.enterprise_id AND nx.void = %s
        AND nx.issued_on > lp.issued_on AND nx.issued_on <= lp.expires_on){only("lc")}
),
valid_steps AS (
  SELECT c.enterprise_id AS eid, ev.id, ev."on" AS t
  FROM cases_caseevent ev JOIN cases_case c ON c.id = ev.case_id
  WHERE ev.kind IN ({_marks(PROGRESS_EVENTS)}) AND ev."on" <= %s
    AND NOT EXISTS (SELECT 1 FROM cases_caseevent r WHERE r.reverses_id = ev.id){only("c")}
),
steps AS (
  SELECT st.eid, st.t, MIN(l.until) AS x
  FROM valid_steps st JOIN lapse l ON l.eid = st.eid AND l.until >= st.t
  GROUP BY st.eid, st.id, st.t
),
started AS (
  SELECT st.eid, MIN(st.t) AS lo, NULL AS hi FROM valid_steps st
  WHERE NOT EXISTS (SELECT 1 FROM lapse l WHERE l.eid = st.eid AND l.until >= st.t)
  GROUP BY st.eid
  UNION ALL
  SELECT eid, MIN(t), {_day_after("x")} FROM steps GROUP BY eid, x
),""",  # noqa: S608
        False,
        _day(baseline),
        False,
        *only.params,
        *PROGRESS_EVENTS,
        _day(last),
        *only.params,
    )
    # Certified: a certificate is valid from its issue to its expiry or its revocation; an
    # enterprise's overlapping certificates (the old one and its renewal) are merged into one
    # period — islands of periods each starting after every earlier one ended.
    valid_until = _day_after("ct.expires_on")
    stmt.add(
        f"""
valid AS (
  SELECT c.enterprise_id AS eid, ct.issued_on AS lo,
    CASE WHEN ct.ended_on IS NOT NULL AND ct.ended_on < {valid_until} THEN ct.ended_on
      ELSE {valid_until} END AS hi
  FROM cases_certificate ct JOIN cases_case c ON c.id = ct.case_id
  WHERE ct.void = %s AND ct.issued_on <= %s{only("c")}
),
valid_marked AS (
  SELECT eid, lo, hi, CASE WHEN lo <= MAX(hi) OVER (PARTITION BY eid ORDER BY lo, hi
    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS opens
  FROM valid WHERE lo < hi
),
valid_islands AS (
  SELECT eid, lo, hi,
    SUM(opens) OVER (PARTITION BY eid ORDER BY lo, hi ROWS UNBOUNDED PRECEDING) AS island
  FROM valid_marked
),
certified AS (SELECT eid, MIN(lo) AS lo, MAX(hi) AS hi FROM valid_islands GROUP BY eid, island),
""",  # noqa: S608
        False,
        _day(last),
        *only.params,
    )
    # Due: a certificate expiring in the campaign period (one revoked or downgraded before its
    # expiry never comes due), due from its expiry; renewed from the first later certificate of
    # the enterprise (from the expiry when that came first); on time when that was by the expiry.
    stmt.add(
        f"""
due AS (
  SELECT c.enterprise_id AS eid, ct.expires_on AS lo, MIN(nx.issued_on) AS renewal_on
  FROM cases_certificate ct JOIN cases_case c ON c.id = ct.case_id
  LEFT JOIN (cases_certificate nx JOIN cases_case nc ON nc.id = nx.case_id)
    ON nc.enterprise_id = c.enterprise_id AND nx.void = %s AND nx.issued_on > ct.issued_on{
            only("nc")
        }
  WHERE ct.void = %s AND ct.expires_on >= %s AND ct.expires_on <= %s
    AND (ct.ended_on IS NULL OR ct.ended_on > ct.expires_on){only("c")}
  GROUP BY ct.id, c.enterprise_id, ct.expires_on
),""",  # noqa: S608
        False,
        *only.params,
        False,
        _day(campaign.starts_on),
        _day(last),
        *only.params,
    )
    # Each enterprise's first day meeting every 应创 condition in the campaign's region: one
    # after the baseline (or none) makes it new.
    stmt.add("\nfirsts AS (SELECT o.enterprise_id AS eid, MIN(o.starts_on) AS first_on")
    stmt.add(" FROM enterprises_ledgerspan o WHERE")
    _span_scope(stmt, campaign, "o")
    stmt.add(
        f" AND o.eligibility = '1' AND o.region_id_on IN ({_marks(campaign_ids)}){only('o')}"
        " GROUP BY o.enterprise_id),",
        *campaign_ids,
        *only.params,
    )
    if extras:
        _extras(stmt, campaign, campaign_ids, last)
    # The day each enterprise had sent both its principal and its safety manager to a session
    # of the campaign period: trained from that day on. (NULL rather than HAVING for one of
    # the two: PostgreSQL estimates one row after such a HAVING and joins it by nested loop.)
    stmt.add(
        f"""
trained AS (
  SELECT eid, CASE WHEN COUNT(*) = 2 THEN MAX(first_on) END AS trained_on FROM (
    SELECT a.enterprise_id AS eid, a.role, MIN(se.held_on) AS first_on
    FROM training_attendance a JOIN training_session se ON se.id = a.session_id
    WHERE a.role IN (%s, %s) AND se.held_on >= %s AND se.held_on <= %s{only("a")}
    GROUP BY a.enterprise_id, a.role
  ) roles
  GROUP BY eid
),""",  # noqa: S608
        TraineeRole.PRINCIPAL,
        TraineeRole.SAFETY_MANAGER,
        _day(campaign.starts_on),
        _day(campaign.ends_on),
        *only.params,
    )
    # The in-scope ledger spans (their own dates aside), with what they count. A span that
    # ended by the first date asked adds nothing to any date (nor does any period within it).
    keys = KEYS + STATE_KEYS if extras else KEYS
    names = [f"g{i}" for i in range(len(groups))] or ["g0"]
    picked = ", ".join(
        f"{expr} AS {name}" for expr, name in zip(groups or ("0",), names, strict=True)
    )
    states = "".join(
        f", CASE WHEN s.eligibility = '1' THEN COALESCE(cs.{k}, 0) ELSE 0 END AS {k}"
        for k in STATE_KEYS
        if extras
    )
    joins = (_GROUP_JOIN if groups else "") + (_EXTRAS_JOIN if extras else "")
    stmt.add(
        f"""
spans AS (
  SELECT s.enterprise_id AS eid, s.starts_on AS lo, s.ends_on AS hi, {picked},
    CASE WHEN s.eligibility = '1' THEN 1 ELSE 0 END AS el,
    CASE WHEN s.eligibility = '1' AND (fi.first_on IS NULL OR fi.first_on > %s)
      THEN 1 ELSE 0 END AS nw{states}
  FROM enterprises_ledgerspan s
  LEFT JOIN firsts fi ON fi.eid = s.enterprise_id{joins}
  WHERE s.starts_on <= %s AND (s.ends_on IS NULL OR s.ends_on > %s) AND""",  # noqa: S608
        _day(baseline),
        _day(last),
        _day(first),
    )
    _span_scope(stmt, campaign)
    stmt.add(f" AND s.region_id_on IN ({_marks(area_ids)})", *area_ids)
    _visible(stmt, enterprises, campaign)
    stmt.add(f"{only('s')}\n),", *only.params)
    g = ", ".join(f"s.{name}" for name in names)
    overlap_hi = _earlier("s.hi", "p.hi")
    span_flags = _flags(
        keys,
        scope_total="1",
        eligible_total="s.el",
        new_total="s.nw",
        **{k: f"s.{k}" for k in keys if k in STATE_KEYS},
    )
    due_flags = _flags(
        keys,
        due_certificates="1",
        renewed_on_time="CASE WHEN p.renewal_on <= p.lo THEN 1 ELSE 0 END",
    )
    stmt.add(
        f"""
periods AS (
  SELECT {g}, s.lo, s.hi, {span_flags}
  FROM spans s
  UNION ALL
  SELECT {g}, {_later("s.lo", "p.lo")}, {overlap_hi},
    {_flags(keys, scope_started="1", started="s.el", new_started="s.nw")}
  FROM spans s JOIN started p ON p.eid = s.eid
  WHERE (p.hi IS NULL OR p.hi > s.lo) AND (s.hi IS NULL OR s.hi > p.lo)
  UNION ALL
  SELECT {g}, {_later("s.lo", "p.lo")}, {overlap_hi}, {_flags(keys, completed="1")}
  FROM spans s JOIN certified p ON p.eid = s.eid
  WHERE s.el = 1 AND p.hi > s.lo AND (s.hi IS NULL OR s.hi > p.lo)
  UNION ALL
  SELECT {g}, {_later("s.lo", "p.trained_on")}, s.hi, {_flags(keys, trained="1")}
  FROM spans s JOIN trained p ON p.eid = s.eid
  WHERE s.el = 1 AND p.trained_on IS NOT NULL AND (s.hi IS NULL OR s.hi > p.trained_on)
  UNION ALL
  SELECT {g}, {_later("s.lo", "p.lo")}, s.hi, {due_flags}
  FROM spans s JOIN due p ON p.eid = s.eid
  WHERE s.hi IS NULL OR s.hi > p.lo
  UNION ALL
  SELECT {g}, {_later("s.lo", _later("p.lo", "p.renewal_on"))}, s.hi,
    {_flags(keys, renewed="1")}
  FROM spans s JOIN due p ON p.eid = s.eid
  WHERE p.renewal_on IS NOT NULL AND (s.hi IS NULL OR s.hi > {_later("p.lo", "p.renewal_on")})
)""",  # noqa: S608
    )
    # Each period adds 1 from its first day and takes it back from the day after its last
    # (ends after the last date asked change nothing); a date sums the days up to it.
    sums = ", ".join(f"SUM(m.sign * p.{k}) AS {k}" for k in keys)
    day = "CASE WHEN m.sign = 1 THEN p.lo ELSE p.hi END"
    pg = ", ".join(f"p.{name}" for name in names)
    stmt.add(
        f"""
SELECT {day} AS day, {pg}, {sums}
FROM periods p CROSS JOIN (SELECT 1 AS sign UNION ALL SELECT -1) m
WHERE p.lo <= %s AND (m.sign = 1 OR p.hi <= %s)
GROUP BY {day}, {pg}""",  # noqa: S608
        _day(last),
        _day(last),
    )
    return stmt, keys


def _run(
    stmt: _Statement, keys: tuple[str, ...], width: int
) -> tuple[tuple[str, ...], list[Delta]]:
    """The statement's rows as Deltas in the order of their days, with the keys they count."""
    with connection.cursor() as cursor:
        cursor.execute(stmt.sql, stmt.params)
        rows = cursor.fetchall()
    deltas: list[Delta] = []
    for day, *values in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        deltas.append((day, tuple(values[:width]), tuple(int(v or 0) for v in values[width:])))
    deltas.sort(key=lambda delta: delta[0])
    return keys, deltas


def _sum_up(
    table: tuple[tuple[str, ...], list[Delta]], days: list[date]
) -> list[tuple[date, tuple, dict[str, int]]]:
    """Each date's counts per group: the group's changes summed over the days up to the date
    (a group with no change by then is left out)."""
    keys, deltas = table
    days = sorted(set(days))
    running: dict[tuple, list[int]] = {}
    found: list[tuple[date, tuple, dict[str, int]]] = []
    at = 0

    def reach(limit: date | None) -> None:
        nonlocal at
        while at < len(days) and (limit is None or days[at] < limit):
            found.extend(
                (days[at], group, dict(zip(keys, sums, strict=True)))
                for group, sums in running.items()
            )
            at += 1

    for day, group, changes in deltas:
        reach(day)
        sums = running.setdefault(group, [0] * len(keys))
        for i, change in enumerate(changes):
            sums[i] += change
    reach(None)
    return found


def on(
    campaign: Campaign, enterprises: QuerySet[Enterprise], area: Region, day: date
) -> dict[str, int]:
    """Every count of KEYS on one date (see `for_dates`)."""
    return for_dates(campaign, enterprises, area, [day])[day]
