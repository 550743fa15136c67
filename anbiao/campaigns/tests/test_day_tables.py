"""The counts kept per block of enterprises (campaigns/day_tables.py, the FigureBlock numbers of
figure_version.py): a write raises the block of the enterprise it touches, and the counts after
it recount that block only, yet equal a count of everything."""

import os
import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import DepartmentIndustry, Region
from anbiao.campaigns import counts, day_tables, figure_version
from anbiao.campaigns.figure_version import (
    BLOCK,
    BLOCK_SOURCES,
    EVERY_BLOCK,
    block_numbers,
    data_version,
)
from anbiao.campaigns.models import Campaign, FigureVersion
from anbiao.cases import services as cases
from anbiao.core import triggers
from anbiao.enterprises import services as registry
from anbiao.enterprises.importers import import_ledger
from anbiao.enterprises.models import Enterprise
from anbiao.supervision.models import Incident
from anbiao.testing.factories import (
    UserFactory,
    attend,
    certify_case,
    make_enterprise,
    make_session,
    region,
)
from anbiao.testing.workbooks import ledger_workbook
from anbiao.training.models import Session

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = [date(2025, 2, 28), date(2025, 6, 30), date(2025, 12, 31), date(2026, 3, 31)]


def step(enterprise, kind, on, **extra):
    return cases.case_record_event(actor=None, enterprise=enterprise, kind=kind, on=on, **extra)


def campaign() -> Campaign:
    return Campaign.objects.select_related("region").get(slug="minan-2025")


def numbered(number: int, **fields) -> Enterprise:
    """An enterprise made by the real service, given the id `number` by moving the id sequence
    (the service picks no id)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('enterprises_enterprise', 'id'), %s)",
                [number - 1],
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'enterprises_enterprise'")
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('enterprises_enterprise', %s)",
                [number - 1],
            )
    enterprise = make_enterprise(**fields)
    assert enterprise.pk == number
    return enterprise


@pytest.fixture
def spread(reference):
    """Enterprises in blocks 0, 2 and 5, with a case or a certificate in each."""
    e = {
        "A": numbered(100, name="A"),
        "B": numbered(2 * BLOCK + 5, name="B"),
        "C": numbered(5 * BLOCK + 1, name="C"),
        "D": numbered(5 * BLOCK + 2, name="D"),
    }
    step(e["A"], "start", date(2025, 4, 1))
    certify_case(e["D"], date(2025, 3, 20), date(2025, 6, 1), "D-1")
    return e


def moved(before: dict[int, int], after: dict[int, int]) -> set[int]:
    return {b for b in before.keys() | after.keys() if before.get(b) != after.get(b)}


def test_a_write_raises_the_block_of_its_enterprise_and_no_other(spread):
    e = spread
    before, version = block_numbers(), data_version()
    step(e["B"], "start", date(2025, 5, 1))
    assert moved(before, block_numbers()) == {2}
    assert data_version() > version
    # A certificate: rows of cases, events and certificates, the last two by their case.
    before = block_numbers()
    certify_case(e["C"], date(2025, 4, 1), date(2025, 8, 15), "C-1")
    assert moved(before, block_numbers()) == {5}
    before = block_numbers()
    cases.case_correct_last(actor=None, enterprise=e["C"], note="录入错误")
    assert moved(before, block_numbers()) == {5}
    # A new session has no one's counts to change; then its attendees' blocks.
    before = block_numbers()
    session = make_session(held_on=date(2025, 6, 20))
    assert moved(before, block_numbers()) == set()
    before = block_numbers()
    attend(session, e["B"], "principal")
    attend(session, e["C"], "principal")
    assert moved(before, block_numbers()) == {2, 5}
    before = block_numbers()
    Session.objects.filter(pk=session.pk).update(held_on=date(2025, 7, 1))
    assert moved(before, block_numbers()) == {2, 5}
    # A region belongs to no enterprise: every block.
    before = block_numbers()
    Region.objects.filter(code="350213007").update(name="民安街道(改)")
    assert moved(before, block_numbers()) == {EVERY_BLOCK}


def test_a_write_the_counts_do_not_read_moves_the_version_and_no_block(spread):
    before, version = block_numbers(), data_version()
    Incident.objects.create(
        enterprise=spread["A"], occurred_on=date(2025, 7, 1), description="轻伤"
    )
    assert data_version() > version
    assert block_numbers() == before


def everything(scope_enterprises=None) -> dict[date, dict[str, int]]:
    """The counts from the statement over every enterprise, without the kept tables."""
    c = campaign()
    enterprises = scope_enterprises if scope_enterprises is not None else Enterprise.objects.all()
    found = {day: dict.fromkeys(counts.KEYS, 0) for day in DAYS}
    for day, _group, numbers in counts._count(c, enterprises, c.region, DAYS):
        found[day] = numbers
    return found


def kept_counts(enterprises=None) -> tuple[dict[date, dict[str, int]], list[str]]:
    """The counts through the kept tables, and the counts' statements that ran."""
    c = campaign()
    enterprises = enterprises if enterprises is not None else Enterprise.objects.all()
    with CaptureQueriesContext(connection) as queries:
        found = counts.for_dates(c, enterprises, c.region, DAYS)
    return found, [q["sql"] for q in queries.captured_queries if "periods AS" in q["sql"]]


def test_after_a_write_only_its_block_is_recounted_and_the_counts_equal_a_full_count(spread):
    e = spread
    found, ran = kept_counts()
    assert found == everything()
    assert len(ran) == 1 and "enterprise_id BETWEEN" not in ran[0]  # the first: everything
    # Asked again after a write: everything again, by block (kept in parts from now on).
    step(e["B"], "start", date(2025, 5, 1))
    found, ran = kept_counts()
    assert found == everything()
    assert len(ran) == 1 and "enterprise_id BETWEEN" not in ran[0]
    assert f"enterprise_id / {BLOCK}" in ran[0]

    writes = [
        lambda: step(e["B"], "apply", date(2025, 6, 1)),
        lambda: certify_case(e["C"], date(2025, 4, 1), date(2025, 8, 15), "C-1"),
        lambda: step(e["D"], "revoke", date(2025, 10, 15), note="重大隐患"),
        lambda: registry.enterprise_change_status(
            actor=None,
            enterprise=e["A"],
            status="deregistered",
            on=date(2025, 11, 30),
            reason="注销",
        ),
        lambda: cases.case_correct_last(actor=None, enterprise=e["C"], note="录入错误"),
        lambda: registry.enterprise_update(
            actor=None, enterprise=e["B"], data={"size": "medium"}, effective_on=date(2025, 9, 1)
        ),
    ]
    for write in writes:
        write()
        found, ran = kept_counts()
        assert found == everything()
        assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0], (
            "one statement, for the written block"
        )
    # An enterprise in a block never counted before.
    late = numbered(9 * BLOCK, name="E")
    step(late, "start", date(2025, 5, 2))
    found, ran = kept_counts()
    assert found == everything()
    assert (
        found[date(2025, 6, 30)]["scope_started"]
        == everything()[date(2025, 6, 30)]["scope_started"]
    )
    assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0]
    # A write the counts do not read: no statement at all.
    Incident.objects.create(enterprise=e["A"], occurred_on=date(2025, 7, 1), description="轻伤")
    found, ran = kept_counts()
    assert found == everything() and ran == []
    # A session and its attendance: their block.
    session = make_session(held_on=date(2025, 6, 20))
    attend(session, e["C"], "principal")
    attend(session, e["C"], "safety_manager")
    found, ran = kept_counts()
    assert found == everything()
    assert found[date(2025, 12, 31)]["trained"] == 1
    assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0]
    Session.objects.filter(pk=session.pk).update(held_on=date(2024, 6, 20))  # before the campaign
    found, ran = kept_counts()
    assert found == everything()
    assert found[date(2025, 12, 31)]["trained"] == 0
    assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0]
    # A region (every block): everything counted again.
    Region.objects.filter(code="350213007").update(name="民安街道(改)")
    found, ran = kept_counts()
    assert found == everything()
    assert len(ran) == 1 and "enterprise_id BETWEEN" not in ran[0]


def test_a_part_replaced_meanwhile_is_not_taken_back_and_everything_is_counted(spread):
    """Another process may have kept a block's part since the whole was summed: the whole is
    then not patched with it but counted again."""
    e = spread
    kept_counts()
    step(e["A"], "apply", date(2025, 5, 1))
    kept_counts()  # counted by block
    c = campaign()
    stmt, _keys = counts._statement(c, Enterprise.objects.all(), c.region, date.min, date.max)
    digest = counts.digest_of(stmt)
    cache.set(day_tables._part_key(digest, 5), ("someone else's", []))
    step(e["C"], "start", date(2025, 5, 1))
    found, ran = kept_counts()
    assert found == everything()
    assert len(ran) == 1 and "enterprise_id BETWEEN" not in ran[0]


def test_each_users_counts_are_kept_apart_and_exact(spread, station_officer, agency_user):
    e = spread
    mine = Enterprise.objects.restrict(station_officer, "view")
    theirs = Enterprise.objects.restrict(agency_user, "view")
    assert kept_counts(mine)[0] == everything(mine)
    assert kept_counts(theirs)[0] == everything(theirs)
    step(e["B"], "start", date(2025, 5, 1))
    assert kept_counts(mine)[0] == everything(mine)
    assert kept_counts(theirs)[0] == everything(theirs)


TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"?([a-z_]+)"?', re.IGNORECASE)


def test_the_counts_read_only_tables_whose_writes_raise_blocks(
    spread, district_officer, station_officer, enterprise_user, agency_user, expert_user
):
    """A table the counts read but whose writes raise no block would leave a kept table stale:
    every user's statement reads only the tables of BLOCK_SOURCES (or its own CTEs)."""
    from django.apps import apps

    department = UserFactory(
        username="jingxin", role=Role.DEPARTMENT, region=region("350213"), department="经信局"
    )
    DepartmentIndustry.objects.create(
        region=region("350213"), department="经信局", industry="machinery", source="test"
    )
    sources = {apps.get_model(label)._meta.db_table for label in BLOCK_SOURCES}
    c = campaign()
    users = [district_officer, station_officer, enterprise_user, agency_user, expert_user]
    for user in [*users, department]:
        enterprises = Enterprise.objects.restrict(user, "view")
        stmt, _keys = counts._statement(c, enterprises, c.region, date.min, date.max)
        ctes = set(re.findall(r"\b([a-z_]+) AS \(", stmt.sql))
        read = set(TABLE.findall(stmt.sql)) - ctes
        assert read and read <= sources, (user.role, read - sources)


def test_after_a_write_to_every_block_the_worker_counts_the_asked_scopes_again(
    spread, station_officer
):
    """A region changed (every block moved): the next reader would count everything. The
    worker's `keep_current` counts each scope asked lately again, so the reader after it runs
    no statement, and a later write to one enterprise is patched from the worker's parts."""
    e = spread
    mine = Enterprise.objects.restrict(station_officer, "view")
    kept_counts()
    kept_counts(mine)
    Region.objects.filter(code="350213007").update(name="民安街道(改)")
    with CaptureQueriesContext(connection) as queries:
        assert counts.keep_current() == 2
    ran = [q["sql"] for q in queries.captured_queries if "periods AS" in q["sql"]]
    assert len(ran) == 2 and all(f"enterprise_id / {BLOCK}" in sql for sql in ran)

    found, ran = kept_counts()
    assert found == everything() and ran == []
    found, ran = kept_counts(mine)
    assert found == everything(mine) and ran == []
    # Nothing moved since: the worker counts nothing.
    with CaptureQueriesContext(connection) as queries:
        assert counts.keep_current() == 0
    assert not [q for q in queries.captured_queries if "periods AS" in q["sql"]]
    # One enterprise written: a reader patches its block (the worker leaves it to them).
    step(e["B"], "start", date(2025, 5, 1))
    assert counts.keep_current() == 0
    found, ran = kept_counts()
    assert found == everything()
    assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0]


def test_one_worker_at_a_time_keeps_the_counts_current(spread):
    Campaign.objects.update(ends_on=timezone.localdate())
    cache.add(counts.KEEPING_KEY, True)  # another worker is counting
    with CaptureQueriesContext(connection) as queries:
        assert counts.keep_current() == 0
    assert not [q for q in queries.captured_queries if "periods AS" in q["sql"]]
    cache.delete(counts.KEEPING_KEY)
    assert counts.keep_current() == 1  # the campaign's own scope
    assert cache.get(counts.KEEPING_KEY) is None  # let go once done


def test_a_campaigns_own_scope_is_kept_unasked_and_a_users_only_once_asked(spread, station_officer):
    """What `anbiao kpi` counts (the campaign's region, every enterprise) is counted in the
    background before anyone asks, while the campaign is recent; a station's scope only once
    asked."""
    mine = Enterprise.objects.restrict(station_officer, "view")
    today = timezone.localdate()
    Campaign.objects.update(ends_on=today - timedelta(days=400))
    with CaptureQueriesContext(connection) as queries:
        assert counts.keep_current() == 0
    assert not [q for q in queries.captured_queries if "periods AS" in q["sql"]]
    Campaign.objects.update(ends_on=today)
    assert counts.keep_current() == 1
    found, ran = kept_counts()
    assert found == everything() and ran == []
    Region.objects.filter(code="350213007").update(name="民安街道(改)")
    assert counts.keep_current() == 1
    found, ran = kept_counts(mine)
    assert found == everything(mine) and len(ran) == 1  # never asked: counted by the reader


def test_a_committed_import_queues_the_background_count_and_a_dry_run_does_not(
    reference, station_officer, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from anbiao.core.imports.jobs import import_job_commit, import_job_create
    from anbiao.testing.factories import make_uscc

    def queued() -> int:
        return DBTaskResult.objects.filter(task_path__endswith="keep_counts_current").count()

    def ledger(name: str) -> str:
        return (
            "企业名称,统一社会信用代码,行业,企业规模,纳入台账日期,所属镇街,是否符合创建条件\n"
            f"{name},{make_uscc()},机械,小型,2025-03-01,民安街道,是\n"
        )

    path = tmp_path / "台账.csv"
    path.write_text(ledger("厦门补录一号机械有限公司"), encoding="utf-8")
    call_command("import", "ledger", str(path), "--as", "minan", "--dry-run")
    assert queued() == 0
    call_command("import", "ledger", str(path), "--as", "minan")
    assert queued() == 1

    upload = SimpleUploadedFile("台账.csv", ledger("厦门补录二号机械有限公司").encode())
    job = import_job_create(actor=station_officer, kind="ledger", upload=upload)
    assert job.status == "checked", job.errors
    assert queued() == 1  # checking writes nothing
    import_job_commit(actor=station_officer, job=job)
    job.refresh_from_db()
    assert job.status == "done"
    assert queued() == 2


def test_a_scope_asked_from_kept_counts_is_noted_again(spread, station_officer):
    """A scope the worker keeps current is answered from the cache, yet still noted as asked:
    otherwise it would drop out of the worker's list a week after its last slow ask."""
    mine = Enterprise.objects.restrict(station_officer, "view")
    kept_counts(mine)
    cache.delete(day_tables.ASKED_KEY)  # the list lost (it expired, or Redis restarted) ...
    day_tables.noted_here.clear()  # ... and asked in another process
    found, ran = kept_counts(mine)
    assert found == everything(mine) and ran == []  # from the cache
    assert len(day_tables.asked()) == 1
    Region.objects.filter(code="350213007").update(name="民安街道(改)")
    assert counts.keep_current() == 2  # the campaign's own scope and the station's
    assert kept_counts(mine)[1] == []


def imported(rows: int, officer, start: int = 5_000_000):
    """A ledger of `rows` new enterprises imported by `officer` (the real import)."""
    outcome = import_ledger(
        ledger_workbook(rows, start=start),
        user=officer,
        filename="台账.xlsx",
        effective_on=date(2025, 2, 28),
    )
    assert outcome.created == rows and not outcome.errors, outcome.errors[:3]
    return outcome


def test_a_ledger_import_raises_its_new_enterprises_blocks_once_and_the_counts_follow(
    spread, station_officer
):
    kept_counts()
    numbered(6 * BLOCK + 10, name="F")  # the import's ids follow, in block 6
    counted = kept_counts()[0][date(2025, 6, 30)]["eligible_total"]  # kept by block from now
    before, version = block_numbers(), data_version()
    imported(4, station_officer)
    after = block_numbers()
    # Their eight-odd rows each raised the version and the block once: one transaction.
    assert moved(before, after) == {6}
    assert after[6] == before[6] + 1
    assert data_version() == version + 1
    found, ran = kept_counts()
    assert found == everything()
    assert found[date(2025, 6, 30)]["eligible_total"] == counted + 4
    assert len(ran) == 1 and "enterprise_id BETWEEN" in ran[0], "the written block only"
    # The triggers are on again for the next write, in any transaction.
    before = block_numbers()
    step(Enterprise.objects.get(name__startswith="负载测试5000000"), "start", date(2025, 5, 1))
    assert moved(before, block_numbers()) == {6}
    # A file whose enterprises fall in two blocks raises both, each once.
    numbered(8 * BLOCK - 2, name="H")
    before, version = block_numbers(), data_version()
    imported(3, station_officer, start=5_000_100)
    after = block_numbers()
    assert moved(before, after) == {7, 8}
    assert after[7] == before.get(7, 0) + 1 and after[8] == before.get(8, 0) + 1
    assert data_version() == version + 1
    assert kept_counts()[0] == everything()
    assert not FigureVersion.objects.filter(pk=figure_version.BULK_MARKER_ID).exists()


def test_a_bulk_insert_needs_a_transaction_and_a_failed_one_leaves_the_triggers_on(spread):
    with pytest.raises(RuntimeError, match="needs a transaction"):
        with triggers.bulk_insert():
            pass
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with triggers.bulk_insert():
            make_enterprise(name="G")
            1 / 0  # noqa: B018
    assert not Enterprise.objects.filter(name="G").exists()
    before, version = block_numbers(), data_version()
    step(spread["C"], "start", date(2025, 5, 1))
    assert moved(before, block_numbers()) == {5} and data_version() > version


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only"
)
def test_another_connections_writes_run_their_triggers_while_a_bulk_insert_is_open(spread):
    """PostgreSQL has many writers at once: the switch is the bulk writer's transaction's own.
    (SQLite has one writer at a time: no other connection writes while a bulk insert is open.)"""
    other = connections.create_connection("default")
    try:
        with transaction.atomic(), triggers.bulk_insert() as written:
            written.add(spread["A"].pk)
            before, version = block_numbers(), data_version()
            with other.cursor() as cursor:  # autocommit: its own transaction, committed now
                cursor.execute(
                    "UPDATE enterprises_enterprise SET industry = 'metallurgy' WHERE id = %s",
                    [spread["C"].pk],
                )
            with other.cursor() as cursor:
                cursor.execute("SELECT block, number FROM campaigns_figureblock")
                theirs = dict(cursor.fetchall())
            assert moved(before, theirs) == {5}
    finally:
        other.close()
    assert data_version() > version
