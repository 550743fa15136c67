"""Campaign metrics at scale: `python bench/metrics.py 10000 100000`.

For each size: build a campaign's data in an empty database with a bulk builder (enterprises
and their ledger spans — some entering late, changing size or decided eligible later, some in
the torch zone or another 镇街 —, case histories with events, certificates, some lapsed before
the baseline, some due in the campaign and renewed or not, training attendances), then time
in the same run:

- the fair floor (issue 13): one hand-written statement over the ledger spans, cases and
  certificates giving every count the metrics need on one date (the simplest definitions: a
  case started by D counts as started) — the fastest way to do the same work on this schema;
- what `anbiao kpi --as-of` computes: every metric and every target with its forecast
  (`targets.evaluate_all`), and `metrics.compute` alone — both as the first computation after a
  write (the counts' changes by day not cached yet) — and then `compute` (with `--one-date`
  also `evaluate_all`) of another date of the same data, summed from those cached changes;
- the 24-point monthly series of the burn-up chart against 24 floors;
- the dashboard page (test client, the 民安 station officer): cold, computed in the request
  (the process warmed by another page, the figures not cached), and warm p95 of 20 visits;
  above `ANBIAO_DASHBOARD_INLINE_ENTERPRISES`: the first visit (正在计算), the worker computing
  every figure, a cold process serving the worker's figures, and the first visit after a write
  (the last figures with their time, a refresh queued).

Budgets (issue 13): one date at 100k ≤ 3× the floor, the series ≤ 3× 24 floors, page cold < 1 s
and warm p95 < 300 ms.
"""

import os
import random
import sys
import time
from datetime import date, timedelta

from _setup import django_with_fresh_database

ON = date(2026, 6, 30)

# Every count of the metrics on %(on)s, in one statement, with the simplest definitions.
FLOOR_SQL = """
WITH sc AS (
  SELECT s.enterprise_id AS eid, s.eligibility = '1' AS elig,
    NOT EXISTS (SELECT 1 FROM enterprises_ledgerspan o WHERE o.enterprise_id = s.enterprise_id
      AND o.starts_on <= %(baseline)s AND o.in_ledger AND o.status = 'operating'
      AND o.size IN ('small', 'micro') AND o.torch_zone = %(no)s AND o.eligibility = '1'
      AND o.region_id_on IN (%(regions)s)) AS is_new,
    EXISTS (SELECT 1 FROM cases_case c WHERE c.enterprise_id = s.enterprise_id
      AND c.started_on <= %(on)s) AS is_started
  FROM enterprises_ledgerspan s
  WHERE s.starts_on <= %(on)s AND (s.ends_on IS NULL OR s.ends_on > %(on)s)
    AND s.in_ledger AND s.status = 'operating' AND s.size IN ('small', 'micro')
    AND s.torch_zone = %(no)s AND s.region_id_on IN (%(regions)s)
), due AS (
  SELECT COUNT(*) AS due,
    SUM(CASE WHEN EXISTS (SELECT 1 FROM cases_certificate nx JOIN cases_case nc
      ON nc.id = nx.case_id WHERE nc.enterprise_id = c.enterprise_id AND nx.void = %(no)s
      AND nx.issued_on > ct.issued_on AND nx.issued_on <= %(on)s) THEN 1 ELSE 0 END) AS renewed,
    SUM(CASE WHEN EXISTS (SELECT 1 FROM cases_certificate nx JOIN cases_case nc
      ON nc.id = nx.case_id WHERE nc.enterprise_id = c.enterprise_id AND nx.void = %(no)s
      AND nx.issued_on > ct.issued_on AND nx.issued_on <= ct.expires_on) THEN 1 ELSE 0 END)
      AS on_time
  FROM cases_certificate ct JOIN cases_case c ON c.id = ct.case_id
  JOIN enterprises_ledgerspan s ON s.enterprise_id = c.enterprise_id
    AND s.starts_on <= %(on)s AND (s.ends_on IS NULL OR s.ends_on > %(on)s)
  WHERE ct.void = %(no)s AND ct.expires_on >= %(start)s AND ct.expires_on <= %(on)s
    AND (ct.ended_on IS NULL OR ct.ended_on > ct.expires_on)
    AND s.in_ledger AND s.status = 'operating' AND s.size IN ('small', 'micro')
    AND s.torch_zone = %(no)s AND s.region_id_on IN (%(regions)s)
)
SELECT COUNT(*), SUM(CASE WHEN is_started THEN 1 ELSE 0 END),
  SUM(CASE WHEN elig THEN 1 ELSE 0 END), SUM(CASE WHEN elig AND is_started THEN 1 ELSE 0 END),
  SUM(CASE WHEN elig AND EXISTS (SELECT 1 FROM cases_certificate ct JOIN cases_case c
    ON c.id = ct.case_id WHERE c.enterprise_id = sc.eid AND ct.issued_on <= %(on)s
    AND ct.expires_on >= %(on)s AND ct.void = %(no)s
    AND (ct.ended_on IS NULL OR ct.ended_on > %(on)s)) THEN 1 ELSE 0 END),
  SUM(CASE WHEN elig AND is_new THEN 1 ELSE 0 END),
  SUM(CASE WHEN elig AND is_new AND is_started THEN 1 ELSE 0 END),
  SUM(CASE WHEN elig AND EXISTS (SELECT 1 FROM training_attendance a JOIN training_session se
      ON se.id = a.session_id WHERE a.enterprise_id = sc.eid AND a.role = 'principal'
      AND se.held_on >= %(start)s AND se.held_on <= %(on)s)
    AND EXISTS (SELECT 1 FROM training_attendance a JOIN training_session se
      ON se.id = a.session_id WHERE a.enterprise_id = sc.eid AND a.role = 'safety_manager'
      AND se.held_on >= %(start)s AND se.held_on <= %(on)s) THEN 1 ELSE 0 END),
  MAX(due.due), MAX(due.renewed), MAX(due.on_time)
FROM sc CROSS JOIN due
"""
FLOOR_KEYS = (
    "scope_total",
    "scope_started",
    "eligible_total",
    "started",
    "completed",
    "new_total",
    "new_started",
    "trained",
    "due_certificates",
    "renewed",
    "renewed_on_time",
)


def build(size: int, rng: random.Random) -> None:
    """Enterprises, ledger spans, cases, events, certificates and attendances, inserted in bulk
    (the services would take minutes per 100k; the metrics only read these tables)."""
    from django.utils import timezone

    from anbiao.accounts.models import Region
    from anbiao.cases.models import Case, CaseEvent, Certificate
    from anbiao.core.bulk import insert_objects
    from anbiao.enterprises.models import Enterprise, LedgerSpan
    from anbiao.training.models import Attendance, Session

    minan, xindian = (Region.objects.get(code=c) for c in ("350213007", "350213002"))
    industries = ["machinery", "light_industry", "building_materials", "textile", "trade"]
    now = timezone.now()
    first = Enterprise.objects.count()
    insert_objects(
        [
            Enterprise(
                name=f"厦门{first + i}号机械有限公司",
                uscc=f"BENCH{first + i:013d}",
                region_id=(minan if rng.random() < 0.9 else xindian).pk,
                industry=rng.choice(industries),
                size=rng.choice(["small", "micro"]),
                in_torch_zone=rng.random() < 0.05,
                ledger_since=date(2025, 2, 28),
                eligible=True,
            )
            for i in range(size)
        ]
    )
    enterprises = list(Enterprise.objects.values_list("pk", "region_id", "size", "in_torch_zone"))
    spans = []
    for pk, region_id, size_now, torch in enterprises:
        entered = date(2025, 2, 28)
        if rng.random() < 0.15:  # entered the ledger during the campaign (新增)
            entered += timedelta(days=rng.randint(1, 480))
        eligibility = "1" if rng.random() < 0.85 else "0"
        base = dict(enterprise_id=pk, in_ledger=True, status="operating", torch_zone=torch)
        base.update(region_id_on=region_id, entered_on=entered)
        change = rng.random()
        if change < 0.1:  # was medium-sized, became small: new on that day
            day = entered + timedelta(days=rng.randint(30, 400))
            spans.append(LedgerSpan(starts_on=entered, ends_on=day, size="medium", **base))
            spans.append(LedgerSpan(starts_on=day, size=size_now, eligibility=eligibility, **base))
        elif change < 0.2:  # eligibility decided later
            day = entered + timedelta(days=rng.randint(30, 300))
            spans.append(LedgerSpan(starts_on=entered, ends_on=day, size=size_now, **base))
            spans.append(LedgerSpan(starts_on=day, size=size_now, eligibility=eligibility, **base))
        else:
            spans.append(
                LedgerSpan(starts_on=entered, size=size_now, eligibility=eligibility, **base)
            )
    insert_objects(spans)

    # Cases: ~70% start in the campaign; some of them hold an older certificate (cycle 1) that
    # lapsed before the baseline (they must create again) or falls due during the campaign.
    plans = []
    for pk, *_ in enterprises:
        old = None
        if rng.random() < 0.12:
            issued = date(2021, 1, 1) + timedelta(days=rng.randint(0, 600))
            expires = date(2024, 1, 1) + timedelta(days=rng.randint(0, 880))
            old = (issued, expires)
        steps = []
        if rng.random() < 0.7:
            start = date(2025, 3, 15) + timedelta(days=rng.randint(0, 450))
            steps = [("start", start, "in_progress")]
            if rng.random() < 0.6:
                steps.append(("self_assessed", start + timedelta(days=60), "self_assessed"))
                steps.append(("apply", start + timedelta(days=75), "applied"))
                if rng.random() < 0.7:
                    steps.append(("review_pass", start + timedelta(days=100), "passed"))
                    steps.append(("certificate", start + timedelta(days=110), "certified"))
        if old or steps:
            plans.append((pk, old, steps))
    cases = []
    for pk, old, steps in plans:
        if old:
            cases.append(Case(enterprise_id=pk, cycle=1, state="certified", started_on=old[0]))
        if steps:
            cycle = 2 if old else 1
            state, since = steps[-1][2], steps[-1][1]
            cases.append(
                Case(
                    enterprise_id=pk,
                    cycle=cycle,
                    state=state,
                    state_since=since,
                    started_on=steps[0][1],
                )
            )
    insert_objects(cases)
    case_ids = {(e, c): pk for pk, e, c in Case.objects.values_list("pk", "enterprise_id", "cycle")}
    events = []
    for pk, old, steps in plans:
        if old:
            events.append(
                CaseEvent(
                    case_id=case_ids[(pk, 1)],
                    kind="certificate",
                    on=old[0],
                    state_after="certified",
                    recorded_at=now,
                )
            )
        cycle = 2 if old else 1
        for kind, on, state in steps:
            events.append(
                CaseEvent(
                    case_id=case_ids[(pk, cycle)],
                    kind=kind,
                    on=on,
                    state_after=state,
                    recorded_at=now,
                )
            )
    insert_objects(events)
    old_expiry = {case_ids[(pk, 1)]: old[1] for pk, old, _steps in plans if old}
    issued = {
        case_id: (pk, on)
        for pk, case_id, on in CaseEvent.objects.filter(kind="certificate").values_list(
            "pk", "case_id", "on"
        )
    }
    insert_objects(
        [
            Certificate(
                case_id=case_id,
                event_id=event_id,
                number=f"XA-{event_id}",
                grade="micro",
                issued_on=on,
                expires_on=old_expiry.get(case_id, on + timedelta(days=3 * 365)),
            )
            for case_id, (event_id, on) in issued.items()
        ]
    )

    # Training: a few sessions; a fifth of enterprises send their principal, most of those
    # their safety manager too.
    sessions = [
        Session.objects.create(
            topic="标准化宣贯培训",
            kind="training",
            held_on=date(2025, 4, 1) + timedelta(days=60 * i),
            hours=4,
            region=minan,
            organiser="民安街道安监站",
        )
        for i in range(6)
    ]
    attendances = []
    for pk, *_ in enterprises:
        if rng.random() < 0.2:
            for role in ("principal", "safety_manager"):
                if role == "principal" or rng.random() < 0.8:
                    attendances.append(
                        Attendance(
                            session=rng.choice(sessions),
                            name=f"学员{pk}",
                            role=role,
                            enterprise_id=pk,
                            person_key=f"{pk}-{role}",
                            recorded_at=now,
                        )
                    )
    insert_objects(attendances)


# The CPU seconds of this process in each figure's best run, by the figure's name (on
# PostgreSQL the server's own work is not in them).
CPU: dict[str, float] = {}


def touch_one(rng: random.Random) -> None:
    """A write to one enterprise, as a station makes all day: its row changes (its block of
    the counts moves; the bench's USCCs are not valid ones, so not through the service)."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    from anbiao.enterprises.models import Enterprise

    last = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first()
    pk = Enterprise.objects.filter(pk__gte=rng.randint(1, last)).order_by("pk").values("pk")[:1]
    Enterprise.objects.filter(pk__in=pk).update(employees=Coalesce(F("employees"), 0) + 1)


def touch_every_block() -> None:
    """A write that moves every block of the kept counts: a region renamed and named back."""
    from anbiao.accounts.models import Region

    region = Region.objects.order_by("pk").first()
    Region.objects.filter(pk=region.pk).update(name=region.name + "(改)")
    Region.objects.filter(pk=region.pk).update(name=region.name)


def timed(fn, repeat: int = 3, name: str = "") -> float:
    best = float("inf")
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        seconds = time.perf_counter() - start
        if seconds < best:
            best, CPU[name] = seconds, time.process_time() - cpu
    return best


def cpu_seconds() -> str:
    figures = ", ".join(f"{name} {seconds:.2f}" for name, seconds in CPU.items())
    return f"(CPU seconds of this process: {figures}; {os.getloadavg()[0]:.1f} load average)"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(sizes: list[int], reuse: bool = False, mode: str = "all") -> None:
    """Build each size and time it; `mode` "build" only builds, "one-date" times one date."""
    django_with_fresh_database()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from anbiao.accounts.choices import Role
    from anbiao.accounts.models import Region, User
    from anbiao.campaigns.counts import keep_current
    from anbiao.campaigns.metrics import Scope, compute
    from anbiao.campaigns.models import Campaign, DashboardSnapshot
    from anbiao.campaigns.selectors import monthly_dates, series
    from anbiao.campaigns.targets import evaluate_all
    from anbiao.campaigns.tasks import refresh_dashboard_now
    from anbiao.cases.models import Case, CaseEvent, Certificate
    from anbiao.enterprises.models import Enterprise, LedgerSpan
    from anbiao.training.models import Attendance, Session

    minan = Region.objects.get(code="350213007")
    officer, _ = User.objects.get_or_create(
        username="bench", defaults={"role": Role.STATION, "region": minan}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(officer)
    campaign = Campaign.objects.select_related("region").get(slug="minan-2025")
    regions = ", ".join(
        str(pk)
        for pk in Region.objects.filter(path__startswith=minan.path).values_list("pk", flat=True)
    )
    floor_sql = FLOOR_SQL.replace("%(regions)s", regions)
    adapt = connection.ops.adapt_datefield_value

    def floor(on: date) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(
                floor_sql,
                {
                    "on": adapt(on),
                    "baseline": adapt(campaign.baseline_on),
                    "start": adapt(campaign.starts_on),
                    "no": False,
                },
            )
            return tuple(int(v or 0) for v in cursor.fetchone())

    print(f"database: {connection.vendor}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    header = (
        "size",
        "floor",
        "kpi",
        "× floor",
        "compute",
        "× floor",
        "later",
        "24 floors",
        "24 pts",
        "× 24 fl",
        "cold",
        "warm p95",
    )
    print(" ".join(f"{h:>9}" for h in header))
    for size in sizes:
        start = time.perf_counter()
        # --reuse keeps a database already built at this size (1M takes a while to build).
        if not (reuse and Enterprise.objects.count() == size):
            tables = (Attendance, Session, Certificate, CaseEvent, Case, LedgerSpan, Enterprise)
            for model in tables:
                model.objects.all().delete()
            build(size, random.Random(size))
        built = time.perf_counter() - start
        if mode == "build":
            print(f"{size:>9} built in {built:.0f} s")
            continue
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        scope = Scope(campaign, Enterprise.objects.all(), ON)
        rng = random.Random(size)
        one_floor = timed(lambda: floor(ON), name="floor")
        if mode == "one-date":  # 1M: say each figure as soon as it is measured
            print(f"{size:>9} {one_floor:>9.3f}", end="", flush=True)
        # First after a write: the counts' changes by day are not cached (a write moves the
        # data version, which keys them); then another date of the same data, read from them.
        kpi = timed(lambda scope=scope: (cache.clear(), evaluate_all(scope)), name="kpi")
        one = timed(lambda scope=scope: (cache.clear(), compute(scope)), name="compute")
        later = timed(
            lambda scope=scope, rng=rng: compute(
                scope.at(ON - timedelta(days=rng.randint(1, 400)))
            ),
            name="later date",
        )
        if mode == "one-date":
            # The budget at 1M is every metric of one date: no series, no page.
            kpi_later = timed(
                lambda scope=scope, rng=rng: evaluate_all(
                    scope.at(ON - timedelta(days=rng.randint(1, 400)))
                ),
                name="kpi later date",
            )
            # After a write to one enterprise (what a station does all day): its block of
            # enterprises is counted again, the rest taken from the kept table (the first
            # such count of a scope counts everything by block: untimed here).
            touch_one(rng)
            first_by_block = timed(lambda scope=scope: evaluate_all(scope), 1)
            after_write = []
            for _ in range(3):
                touch_one(rng)
                after_write.append(timed(lambda scope=scope: evaluate_all(scope), 1))
            # After a write no reader can patch (a region: every block): the worker counts
            # the scopes asked lately again (counts.keep_current), then the reader sums.
            touch_every_block()
            worker = timed(keep_current, 1, name="worker")
            after_worker = timed(lambda scope=scope: evaluate_all(scope), 1, name="after worker")
            print(
                f" {kpi:>9.3f} {kpi / one_floor:>9.1f} {one:>9.3f} {one / one_floor:>9.1f}"
                f" {later:>9.3f}   (kpi of a later date {kpi_later:.3f} s; built in {built:.0f} s)"
            )
            print(
                f"          kpi after a write, first (everything by block): {first_by_block:.3f} s;"
                " then after a write to one enterprise: "
                + ", ".join(f"{t:.3f} s" for t in after_write)
            )
            print(
                "          after a write to every block (a region renamed): the worker counts"
                f" again in {worker:.3f} s, then kpi {after_worker:.3f} s"
            )
            print(f"          {cpu_seconds()}")
            continue
        days = monthly_dates(campaign.starts_on, ON)
        floors = timed(lambda days=days: [floor(d) for d in days], repeat=1, name="24 floors")
        # First after a write too (later month ends of the same data are sums of cached days).
        month = timed(lambda scope=scope: (cache.clear(), series(scope)), repeat=2, name="series")
        values = compute(scope)
        hand = dict(zip(FLOOR_KEYS, floor(ON), strict=True))
        differ = {k: (values[k], hand[k]) for k in FLOOR_KEYS if values[k] != hand[k]}
        # Cold, computed in the request (the page below ANBIAO_DASHBOARD_INLINE_ENTERPRISES):
        # the figures are not cached yet; the process is (gunicorn loads and warms the app
        # before forking, so the first request of a process does not import anything).
        settings.ANBIAO_DASHBOARD_INLINE_ENTERPRISES = 10**9
        client.get("/", {"as_of": (ON - timedelta(days=1)).isoformat()})
        cache.clear()
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get("/", {"as_of": ON.isoformat()})
        cold = time.perf_counter() - start
        CPU["cold"] = time.process_time() - cpu
        assert response.status_code == 200 and b"dashboard-data" in response.content
        # Above the limit the page never computes: the worker does (refresh_dashboard_now).
        settings.ANBIAO_DASHBOARD_INLINE_ENTERPRISES = 0
        cache.clear()
        DashboardSnapshot.objects.all().delete()
        start = time.perf_counter()
        response = client.get("/", {"as_of": ON.isoformat()})
        pending = time.perf_counter() - start
        assert "正在计算统计数据" in response.content.decode()
        cache.clear()
        start, cpu = time.perf_counter(), time.process_time()
        refresh_dashboard_now(
            user_id=officer.pk, campaign_id=campaign.pk, on=ON.isoformat(), region_id=None
        )
        worker, worker_cpu = time.perf_counter() - start, time.process_time() - cpu
        # A new server process (empty cache) serves the worker's figures from the database.
        cache.clear()
        start = time.perf_counter()
        response = client.get("/", {"as_of": ON.isoformat()})
        served = time.perf_counter() - start
        assert b"dashboard-data" in response.content and b"figures-stale" not in response.content
        warm = []
        for _ in range(20):
            start = time.perf_counter()
            client.get("/", {"as_of": ON.isoformat()})
            warm.append(time.perf_counter() - start)
        # A write moved the version: the last figures, with their time, and a refresh queued.
        Enterprise.objects.filter(pk=Enterprise.objects.order_by("pk").values("pk")[:1]).update(
            status_since=ON
        )
        cache.clear()
        start = time.perf_counter()
        response = client.get("/", {"as_of": ON.isoformat()})
        stale = time.perf_counter() - start
        assert b"figures-stale" in response.content
        print(
            f"{size:>9} {one_floor:>9.3f} {kpi:>9.3f} {kpi / one_floor:>9.1f} {one:>9.3f} "
            f"{one / one_floor:>9.1f} {later:>9.3f} {floors:>9.2f} {month:>9.3f} "
            f"{month / floors:>9.2f} "
            f"{cold:>9.2f} {p95(warm):>9.3f}"
        )
        print(f"          {cpu_seconds()}")
        print(
            f"          page above the inline limit: first visit (正在计算) {pending:.3f} s; "
            f"the worker computes every figure in {worker:.2f} s ({worker_cpu:.2f} s CPU, "
            f"{worker / cold:.2f}× the inline cold page); served from its figures by a cold "
            f"process {served:.3f} s, after a write (last figures + refresh queued) {stale:.3f} s; "
            f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
        )
        print(
            f"          (built in {built:.0f} s; engine vs floor where definitions differ: "
            f"{differ or 'none'} — the floor counts any started case, the engine not one "
            "left behind by a certificate that lapsed before the baseline)"
        )


if __name__ == "__main__":
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    main(
        [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [10_000],
        reuse="--reuse" in flags,
        mode="build" if "--build-only" in flags else "one-date" if "--one-date" in flags else "all",
    )
