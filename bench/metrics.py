"""Campaign metrics at scale: `python bench/metrics.py 10000 100000`.

For each size: generate a realistic campaign (ledger with dated facts, case histories with
events, certificates with renewals) in an empty database, then time
- all metrics for one date (`anbiao.campaigns.metrics.compute`),
- the 24-point monthly series of the dashboard's burn-up chart,
- the dashboard page itself (test client, logged in as the 民安 station officer),
and two hand-written SQL aggregates of eligible/started/completed: the window query over the raw
facts (the old floor, slower than the engine) and the fair floor of issue 13 — the best single
statement on the schema we have (the ledger spans, the cases' start dates, the certificates) —
to which the engine's one date is compared.
Budgets (issue 13): one date at 100k ≤ 3× the fair floor; page cold < 1 s.
"""

import random
import sys
import time
from datetime import date, timedelta

from _setup import django_with_fresh_database, write_ledger

ON = date(2026, 6, 30)
FLOOR_SQL = """
WITH latest AS (
  SELECT enterprise_id, kind, value,
         ROW_NUMBER() OVER (PARTITION BY enterprise_id, kind
                            ORDER BY effective_on DESC, id DESC) AS rn
  FROM enterprises_enterprisefact WHERE effective_on <= %(on)s
), facts AS (
  SELECT enterprise_id,
         MAX(CASE WHEN kind = 'ledger' THEN value END) AS ledger,
         MAX(CASE WHEN kind = 'status' THEN value END) AS status,
         MAX(CASE WHEN kind = 'size' THEN value END) AS size,
         MAX(CASE WHEN kind = 'torch_zone' THEN value END) AS torch,
         MAX(CASE WHEN kind = 'eligibility' THEN value END) AS eligible
  FROM latest WHERE rn = 1 GROUP BY enterprise_id
), eligible AS (
  SELECT enterprise_id FROM facts
  WHERE ledger = '1' AND status = 'operating' AND size IN ('small', 'micro')
    AND torch = '0' AND eligible = '1'
)
SELECT COUNT(*),
  SUM(CASE WHEN EXISTS (SELECT 1 FROM cases_caseevent ev JOIN cases_case c ON c.id = ev.case_id
       WHERE c.enterprise_id = eligible.enterprise_id AND ev."on" <= %(on)s) THEN 1 ELSE 0 END),
  SUM(CASE WHEN EXISTS (SELECT 1 FROM cases_certificate ct JOIN cases_case c ON c.id = ct.case_id
       WHERE c.enterprise_id = eligible.enterprise_id AND ct.issued_on <= %(on)s
         AND ct.expires_on >= %(on)s AND NOT ct.void) THEN 1 ELSE 0 END)
FROM eligible
"""

# Issue 13's fair floor: eligible / started / completed on the date in one statement.
FAIR_FLOOR_SQL = """
WITH elig AS (
  SELECT s.enterprise_id FROM enterprises_ledgerspan s
  WHERE s.starts_on <= %(on)s AND (s.ends_on IS NULL OR s.ends_on > %(on)s)
    AND s.in_ledger AND s.status = 'operating' AND s.size IN ('small', 'micro')
    AND NOT s.torch_zone AND s.eligibility = '1')
SELECT COUNT(*),
  SUM(CASE WHEN EXISTS(SELECT 1 FROM cases_case c WHERE c.enterprise_id = elig.enterprise_id
       AND c.started_on <= %(on)s) THEN 1 ELSE 0 END),
  SUM(CASE WHEN EXISTS(SELECT 1 FROM cases_certificate ct JOIN cases_case c ON c.id = ct.case_id
       WHERE c.enterprise_id = elig.enterprise_id AND ct.issued_on <= %(on)s
         AND ct.expires_on >= %(on)s AND NOT ct.void) THEN 1 ELSE 0 END)
FROM elig
"""


def generate_cases(rng: random.Random) -> None:
    """Give ~70% of enterprises a case: start, some self-evaluated, applied, certified."""
    from django.utils import timezone

    from anbiao.cases.models import Case, CaseEvent, Certificate
    from anbiao.core.bulk import insert_objects
    from anbiao.enterprises.models import Enterprise

    ids = list(Enterprise.objects.values_list("pk", flat=True))
    plans = []
    for pk in ids:
        if rng.random() > 0.7:
            continue
        start = date(2025, 3, 15) + timedelta(days=rng.randint(0, 450))
        steps = [("start", start, "in_progress")]
        if rng.random() < 0.6:
            steps.append(("self_assessed", start + timedelta(days=60), "self_assessed"))
            steps.append(("apply", start + timedelta(days=75), "applied"))
            if rng.random() < 0.7:
                steps.append(("review_pass", start + timedelta(days=100), "passed"))
                steps.append(("certificate", start + timedelta(days=110), "certified"))
        plans.append((pk, steps))
    now = timezone.now()
    insert_objects(
        [
            Case(
                enterprise_id=pk,
                cycle=1,
                state=steps[-1][2],
                state_since=steps[-1][1],
                started_on=steps[0][1],
                created_at=now,
                updated_at=now,
            )
            for pk, steps in plans
        ]
    )
    case_ids = dict(Case.objects.values_list("enterprise_id", "pk"))
    insert_objects(
        [
            CaseEvent(case_id=case_ids[pk], kind=kind, on=on, state_after=state, recorded_at=now)
            for pk, steps in plans
            for kind, on, state in steps
        ]
    )
    events = {
        (e.case_id, e.kind): e.pk
        for e in CaseEvent.objects.filter(kind="certificate").only("pk", "case_id", "kind")
    }
    insert_objects(
        [
            Certificate(
                case_id=case_ids[pk],
                event_id=events[(case_ids[pk], "certificate")],
                number=f"XA-{pk}",
                grade="micro",
                issued_on=steps[-1][1],
                expires_on=steps[-1][1] + timedelta(days=3 * 365),
            )
            for pk, steps in plans
            if steps[-1][0] == "certificate"
        ]
    )


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(sizes: list[int]) -> None:
    workdir = django_with_fresh_database()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from anbiao.accounts.choices import Role
    from anbiao.accounts.models import Region, User
    from anbiao.campaigns.metrics import Scope, compute
    from anbiao.campaigns.models import Campaign
    from anbiao.campaigns.selectors import series
    from anbiao.cases.models import Case, CaseEvent, Certificate
    from anbiao.enterprises.importers import import_ledger
    from anbiao.enterprises.models import Enterprise, EnterpriseFact

    officer = User.objects.create(
        username="bench", role=Role.STATION, region=Region.objects.get(code="350213007")
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(officer)
    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    header = ("size", "one date", "old flr", "fair flr", "× fair", "24 pts", "page", "cached")
    print(" ".join(f"{h:>8}" for h in header) + "  budget")
    for size in sizes:
        for model in (Certificate, CaseEvent, Case, EnterpriseFact, Enterprise):
            model.objects.all().delete()
        path = workdir / f"ledger-{size}.xlsx"
        write_ledger(path, size)
        import_ledger(path, user=None, effective_on=timezone.localdate())
        generate_cases(random.Random(size))
        campaign = Campaign.objects.get(slug="minan-2025")
        scope = Scope(campaign, Enterprise.objects.all(), ON)
        one = timed(lambda scope=scope: compute(scope))
        with connection.cursor() as cursor:
            floor = timed(lambda: cursor.execute(FLOOR_SQL, {"on": ON}) or cursor.fetchall())
            cursor.execute(FLOOR_SQL, {"on": ON})
            hand = cursor.fetchone()
            fair = timed(lambda: cursor.execute(FAIR_FLOOR_SQL, {"on": ON}) or cursor.fetchall())
            cursor.execute(FAIR_FLOOR_SQL, {"on": ON})
            fair_values = tuple(int(v or 0) for v in cursor.fetchone())
        values = compute(scope)
        assert (values["eligible_total"], values["started"], values["completed"]) == tuple(
            int(v or 0) for v in hand
        ), (values, hand)
        month = timed(lambda scope=scope: series(scope), repeat=1)
        cache.clear()
        start = time.perf_counter()
        response = client.get("/", {"as_of": ON.isoformat()})
        cold = time.perf_counter() - start
        assert response.status_code == 200 and b"dashboard-data" in response.content
        warm = timed(lambda: client.get("/", {"as_of": ON.isoformat()}), repeat=2)
        ok = one <= 3 * fair and cold < 1
        agree = fair_values == tuple(int(v or 0) for v in hand)
        print(
            f"{size:>8} {one:>8.2f} {floor:>8.2f} {fair:>8.3f} {one / fair:>8.1f} {month:>8.2f} "
            f"{cold:>8.2f} {warm:>8.2f}  {'ok' if ok else 'OVER'}"
            + ("" if agree else f" (fair floor counts {fair_values}, engine {hand})")
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000])
