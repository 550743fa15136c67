"""The schedule: each job runs once per day, catches up missed days, and two workers started at
once never run a job twice (threads racing on the real database: SQLite or PostgreSQL)."""

import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from anbiao.notifications import schedule
from anbiao.notifications.models import JobRun

TZ = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 2):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=TZ), tick=False)


@pytest.fixture
def counted(monkeypatch):
    """Replace the jobs with ones that count their runs per day (the real jobs are tested in
    test_reminders.py); the claim and the run log are the real ones."""
    calls = []

    def job(code, weekly=False):
        return schedule.Job(code, code, lambda day: calls.append((code, day)) or "ok", weekly)

    monkeypatch.setattr(
        schedule, "JOBS", {"daily": job("daily"), "weekly": job("weekly", weekly=True)}
    )
    return calls


@pytest.mark.django_db
def test_the_first_run_records_today_and_this_weeks_monday(counted):
    with at(date(2026, 3, 5)):  # a Thursday
        runs = schedule.run_due()
    assert counted == [("daily", date(2026, 3, 5)), ("weekly", date(2026, 3, 2))]
    assert {(r.job, r.day, r.status) for r in runs} == {
        ("daily", date(2026, 3, 5), "done"),
        ("weekly", date(2026, 3, 2), "done"),
    }
    run = JobRun.objects.get(job="daily")
    assert run.finished_at >= run.started_at and run.summary == "ok"


@pytest.mark.django_db
def test_running_again_the_same_day_does_nothing(counted):
    with at(date(2026, 3, 5)):
        schedule.run_due()
    with at(date(2026, 3, 5), hour=23):
        assert schedule.run_due() == []
    assert len(counted) == 2


@pytest.mark.django_db
def test_missed_days_are_caught_up_oldest_first_with_their_own_dates(counted):
    with at(date(2026, 3, 5)):
        schedule.run_due()
    counted.clear()
    with at(date(2026, 3, 10)):  # the machine was off 6–9 March; 9 March was a Monday
        schedule.run_due()
    assert [d for job, d in counted if job == "daily"] == [
        date(2026, 3, 6),
        date(2026, 3, 7),
        date(2026, 3, 8),
        date(2026, 3, 9),
        date(2026, 3, 10),
    ]
    assert [d for job, d in counted if job == "weekly"] == [date(2026, 3, 9)]


@pytest.mark.django_db
def test_catch_up_stops_at_the_configured_window(counted, settings):
    settings.ANBIAO_SCHEDULE_CATCH_UP_DAYS = 2
    with at(date(2026, 3, 1)):
        schedule.run_due()
    counted.clear()
    with at(date(2026, 3, 20)):
        schedule.run_due()
    assert [d for job, d in counted if job == "daily"] == [
        date(2026, 3, 18),
        date(2026, 3, 19),
        date(2026, 3, 20),
    ]


@pytest.mark.django_db
def test_a_failed_run_is_recorded_and_retried_next_time(monkeypatch):
    attempts = []

    def flaky(day):
        attempts.append(day)
        if len(attempts) == 1:
            raise RuntimeError("数据库暂时不可用")
        return "补跑成功"

    monkeypatch.setattr(schedule, "JOBS", {"flaky": schedule.Job("flaky", "flaky", flaky)})
    with at(date(2026, 3, 5)):
        schedule.run_due()
        run = JobRun.objects.get()
        assert run.status == "failed" and "数据库暂时不可用" in run.error
        schedule.run_due()
    run.refresh_from_db()
    assert (run.status, run.summary, run.attempts) == ("done", "补跑成功", 2)
    assert attempts == [date(2026, 3, 5)] * 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_started_at_once_run_each_job_once(counted):
    """Four threads (each its own database connection) call run_due at the same instant."""
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            schedule.run_due()
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    # One clock for all four threads: travelling in each thread would race on the process-wide
    # clock that time-machine patches, which says nothing about the scheduler.
    with at(date(2026, 3, 5)):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert sorted(counted) == [("daily", date(2026, 3, 5)), ("weekly", date(2026, 3, 2))]
    assert JobRun.objects.count() == 2
    assert set(JobRun.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_finds_the_database_being_written_waits_and_runs(counted, monkeypatch):
    """Between this worker's claim and its job's transaction another worker writes (SQLite has one
    writer at a time; a test's in-memory database refuses at once instead of waiting): the job
    waits for the write and runs, it is not recorded as failed."""
    holding = threading.Event()
    real_claim = schedule.claim
    others = []

    def other_worker():
        try:
            with transaction.atomic():
                JobRun.objects.filter(job="none").update(summary="")
                holding.set()
                time.sleep(0.3)
        finally:
            connection.close()

    def claim_then_another_writes(job, day):
        run = real_claim(job, day)
        others.append(threading.Thread(target=other_worker))
        others[-1].start()
        assert holding.wait(10)
        holding.clear()
        return run

    monkeypatch.setattr(schedule, "claim", claim_then_another_writes)
    with at(date(2026, 3, 5)):
        runs = schedule.run_due()
    for t in others:
        t.join(timeout=10)
    assert sorted(counted) == [("daily", date(2026, 3, 5)), ("weekly", date(2026, 3, 2))]
    assert [(r.job, r.status, r.error) for r in runs] == [
        ("daily", "done", ""),
        ("weekly", "done", ""),
    ]


@pytest.mark.django_db
def test_the_command_runs_the_real_jobs_and_says_what_they_did(capsys, reference):
    with at(date(2026, 3, 5)):
        call_command("run_scheduled")
    out = capsys.readouterr().out
    assert "证书状态每日更新 2026-03-05:完成" in out
    # The shipped plan's tasks past their deadline are reminded of, and its monthly 信息报送:
    # February's is due that day, January's (due 02-05) is overdue.
    assert (
        "到期提醒 2026-03-05:完成 发送提醒 8 条(工作任务逾期 6、信息报送即将到期 1、信息报送逾期 1)"
        in out
    )
    assert "每周提醒摘要邮件 2026-03-02:完成" in out
    with at(date(2026, 3, 5) + timedelta(hours=1)):
        call_command("run_scheduled")
    assert "没有到期的定时任务" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_tick_task_runs_due_jobs(counted, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from anbiao.notifications.tasks import tick

    with at(date(2026, 3, 5)):
        result = tick.enqueue()
    assert result.return_value == 2
    assert len(counted) == 2
