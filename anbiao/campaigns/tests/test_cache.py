"""The dashboard's cache (campaigns/cache.py, campaigns/figure_version.py): a write that can
change a figure shows on the next visit, one that cannot keeps the page cached, and a large
scope is served from the worker's figures instead of being computed in the request."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from anbiao.api.services import token_create
from anbiao.campaigns.figure_version import data_version, tables_without_trigger
from anbiao.campaigns.models import DashboardSnapshot, Target
from anbiao.campaigns.tasks import refresh_dashboard_now
from anbiao.cases import services as cases
from anbiao.cases.models import Certificate
from anbiao.core.resilient_cache import ResilientRedisCache
from anbiao.enterprises import services as enterprises
from anbiao.enterprises.models import Enterprise, LedgerSpan
from anbiao.notifications import services as notifications
from anbiao.testing.factories import attend, certify, make_enterprise, make_session

pytestmark = pytest.mark.django_db

ON = "2026-06-30"


def visit(client, **params):
    response = client.get(reverse("home"), {"as_of": ON, **params})
    assert response.status_code == 200
    return response


def figures(client) -> dict:
    return visit(client).context["board"].values


def queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        visit(client)
    return len([q for q in ctx.captured_queries if "django_session" not in q["sql"]])


@pytest.fixture
def ledger(reference):
    """Four 民安 enterprises in the ledger since the baseline, two of them started."""
    found = [make_enterprise(ledger_since=date(2025, 2, 28)) for _ in range(4)]
    for e in found[:2]:
        cases.case_record_event(actor=None, enterprise=e, kind="start", on=date(2025, 9, 1))
    return found


def test_every_table_the_figures_read_has_its_trigger():
    assert tables_without_trigger() == []


def _start(ledger, officer):
    cases.case_record_event(actor=officer, enterprise=ledger[3], kind="start", on=date(2026, 1, 5))


def _undo(ledger, officer):
    cases.case_correct_last(actor=officer, enterprise=ledger[0], note="录错")


def _close(ledger, officer):
    enterprises.enterprise_change_status(
        actor=officer,
        enterprise=ledger[3],
        status="deregistered",
        on=date(2026, 3, 1),
        reason="注销",
    )


def _bulk_spans_deleted(ledger, officer):
    # No service, no change log, no new pk: a raw bulk delete, as a repair script would do.
    LedgerSpan.objects.filter(enterprise=ledger[3]).delete()


def _region_by_update(ledger, officer):
    Enterprise.objects.filter(pk=ledger[3].pk).update(industry="metallurgy")


def _target(ledger, officer):
    target = Target.objects.filter(metric="start_rate").first()
    Target.objects.filter(pk=target.pk).update(threshold=target.threshold / 2)


@pytest.mark.parametrize(
    "write, figure",
    [
        (_start, "started"),
        (_undo, "started"),
        (_close, "eligible_total"),
        (_bulk_spans_deleted, "eligible_total"),
    ],
)
def test_a_write_that_changes_a_figure_shows_at_once(login, station_officer, ledger, write, figure):
    client = login(station_officer)
    before = figures(client)[figure]
    version = data_version()
    write(ledger, station_officer)
    assert data_version() > version
    assert figures(client)[figure] != before


def test_voiding_a_certificate_or_a_training_shows_at_once(login, station_officer, ledger):
    client = login(station_officer)
    certify(ledger[2], date(2026, 3, 1), number="C-9")
    assert figures(client)["completed"] == 1
    # A correction voids the certificate: an UPDATE, no new row anywhere.
    cases.case_correct_last(actor=None, enterprise=ledger[2], note="证书编号录错")
    assert Certificate.objects.get(number="C-9").void
    assert figures(client)["completed"] == 0
    trained = figures(client)["trained"]
    session = make_session(held_on=date(2026, 5, 1))
    attend(session, ledger[1])
    assert figures(client)["trained"] == trained  # the safety manager has not attended yet
    attend(session, ledger[1], role="safety_manager")
    assert figures(client)["trained"] == trained + 1


def test_an_update_of_a_figure_column_moves_the_version_but_a_phone_does_not(ledger):
    version = data_version()
    Enterprise.objects.filter(pk=ledger[0].pk).update(principal_phone="13900000000")
    assert data_version() == version
    Enterprise.objects.filter(pk=ledger[0].pk).update(industry="metallurgy")
    assert data_version() > version
    version = data_version()
    _target(ledger, None)
    assert data_version() > version


def test_writes_that_change_no_figure_keep_the_page_cached(login, station_officer, ledger):
    client = login(station_officer)
    cold = queries(client)
    warm = queries(client)
    assert warm < cold
    version = data_version()
    notifications.preference_update(
        actor=station_officer,
        muted_rules=["certificate_expiring"],
        email_enabled=False,
        email_digest=False,
        sms_enabled=False,
    )
    notifications.mark_read(actor=station_officer)
    enterprises.enterprise_update(
        actor=station_officer,
        enterprise=ledger[0],
        data={"principal_phone": "13900000001", "safety_manager_name": "王五"},
        effective_on=date(2026, 6, 1),
    )
    assert data_version() == version
    assert queries(client) == warm


@pytest.fixture
def large(settings):
    """Every scope counts as large: the page is served from the worker's figures."""
    settings.ANBIAO_DASHBOARD_INLINE_ENTERPRISES = 1


def run_worker(user, **params) -> int:
    """What `anbiao db-worker` does with the queued refreshes; returns how many there were."""
    queued = list(DBTaskResult.objects.filter(task_path__endswith="refresh_dashboard"))
    for result in queued:
        refresh_dashboard_now(
            **dict(
                zip(
                    ("user_id", "campaign_id", "on", "region_id"),
                    result.args_kwargs["args"],
                    strict=True,
                )
            )
        )
    DBTaskResult.objects.filter(pk__in=[r.pk for r in queued]).delete()
    return len(queued)


def test_a_large_scope_is_computed_by_the_worker_and_shown_with_its_time(
    login, station_officer, ledger, large
):
    client = login(station_officer)
    # Nothing computed yet: the page says so and refreshes itself; one refresh is queued.
    first = visit(client).content.decode()
    assert "正在计算统计数据" in first and 'http-equiv="refresh"' in first
    visit(client)
    assert run_worker(station_officer) == 1
    shown = visit(client)
    assert shown.context["board"].values["started"] == 2
    assert "figures-stale" not in shown.content.decode()
    assert run_worker(station_officer) == 0  # current figures: nothing queued
    # A write: the last figures are shown with their time while the worker computes.
    _start(ledger, station_officer)
    stale = visit(client)
    assert stale.context["board"].values["started"] == 2
    page = stale.content.decode()
    assert "figures-stale" in page and "最新数据正在后台更新" in page
    visit(client)
    assert run_worker(station_officer) == 1  # asked once, however many visits
    assert visit(client).context["board"].values["started"] == 3
    assert DashboardSnapshot.objects.count() == 1


def test_another_process_serves_the_workers_figures_from_the_database(
    login, station_officer, ledger, large
):
    from django.core.cache import cache

    client = login(station_officer)
    visit(client)
    run_worker(station_officer)
    cache.clear()  # a server process whose own cache never saw them
    with CaptureQueriesContext(connection) as ctx:
        board = visit(client).context["board"]
    assert board.values["started"] == 2 and not board.refreshing
    assert not [q for q in ctx.captured_queries if "enterprises_ledgerspan" in q["sql"]]


def test_the_immediate_backend_computes_a_large_scope_in_the_request(
    login, station_officer, ledger, large, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    board = visit(login(station_officer)).context["board"]
    assert board.values["started"] == 2 and not board.refreshing


def _production_caches(**env) -> str:
    """The cache backend the production settings choose in a fresh process."""
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ANBIAO_", "DATABASE_"))}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed program
        [sys.executable, "-c", code],
        env={**keep, "ANBIAO_SECRET_KEY": "x" * 50, **env},
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().rsplit(".", 1)[-1]


def test_production_shares_one_cache_between_server_processes():
    pg = "postgres://postgres@127.0.0.1:5432/anbiao"
    redis = "redis://127.0.0.1:6379/0"
    assert _production_caches(ANBIAO_CACHE_URL=redis) == "ResilientRedisCache"
    assert _production_caches(DATABASE_URL=pg) == "DatabaseCache"
    assert _production_caches() == "LocMemCache"  # SQLite: nothing more to install


def test_two_connections_to_redis_share_a_value():
    location = os.environ.get("ANBIAO_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    first, second = ResilientRedisCache(location, {}), ResilientRedisCache(location, {})
    if not first._cache.get_client().ping():
        pytest.skip("Redis is not running")
    first.set("anbiao-test-shared", 42, 30)
    assert second.get("anbiao-test-shared") == 42
    assert second.add("anbiao-test-counter", 0, 30) and second.incr("anbiao-test-counter") == 1
    second.delete_many(["anbiao-test-shared", "anbiao-test-counter"])


# Nothing listens on port 1: the connection is refused at once.
STOPPED_REDIS = {
    "default": {
        "BACKEND": "anbiao.core.resilient_cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_with_redis_stopped_the_cache_answers_empty_and_says_so_once(caplog):
    stopped = ResilientRedisCache("redis://127.0.0.1:1/0", {})
    with caplog.at_level("WARNING", logger="anbiao.cache"):
        stopped.set("k", 1)
        assert stopped.get("k", "missing") == "missing"
        assert stopped.get_many(["k"]) == {}
        assert stopped.add("k", 0) is False
        with pytest.raises(ValueError):
            stopped.incr("k")
    assert ["Redis unreachable" in r.message for r in caplog.records] == [True]


def test_with_redis_stopped_the_dashboard_and_the_api_still_answer(
    login, station_officer, ledger, settings
):
    settings.CACHES = {**django_settings.CACHES, **STOPPED_REDIS}  # sessions kept as they are
    assert figures(login(station_officer))["started"] == 2
    later = timezone.localdate() + timedelta(days=30)
    secret = token_create(
        actor=station_officer, user=station_officer, name="脚本", expires_on=later
    )
    listed = Client().get("/api/v1/enterprises", headers={"Authorization": f"Bearer {secret[1]}"})
    assert listed.status_code == 200  # not rate limited: the counters cannot be kept meanwhile


def test_the_first_visit_of_a_day_shows_yesterdays_figures_labelled(
    login, station_officer, ledger, large
):
    import time_machine

    tz = ZoneInfo("Asia/Shanghai")
    client = login(station_officer)
    with time_machine.travel(datetime(2026, 6, 30, 18, tzinfo=tz), tick=False):
        client.get(reverse("home"))
        run_worker(station_officer)
        assert client.get(reverse("home")).context["board"].values["started"] == 2
    with time_machine.travel(datetime(2026, 7, 1, 8, tzinfo=tz), tick=False):
        client = login(station_officer)  # signed out overnight (idle timeout)
        morning = client.get(reverse("home"))
        board = morning.context["board"]
        assert board.refreshing and board.computed_on == date(2026, 6, 30)
        assert "截至 6月30日、计算于 6月30日 18:00" in morning.content.decode()
        assert run_worker(station_officer) == 1
        board = client.get(reverse("home")).context["board"]
        assert not board.refreshing and board.scope.on == date(2026, 7, 1)
