"""The schedule: periodic jobs, each run once per day it is for, recorded in `JobRun`.

How runs are triggered (docs/notifications.md): `anbiao run-scheduled` runs what is due once
(for cron); `anbiao run-scheduled --every 300` is a small clock that enqueues the `tick` task
every 5 minutes for the background worker (`anbiao db-worker`), which runs what is due. We chose
a clock over a task that re-enqueues itself: a self-re-enqueuing chain dies silently when one
run is lost and doubles when it is started twice, while a clock loop is restarted with the
worker and any number of ticks is harmless — the (job, day) claim below decides who runs.

Catching up: each job runs for every day since its last recorded day (at most
ANBIAO_SCHEDULE_CATCH_UP_DAYS back), oldest first, so a day the machine was off is run the next
morning with that day's date. Never twice: a run is claimed by inserting the unique (job, day)
row in its own transaction; whoever loses the race sees the constraint fail and skips. A failed
run (or one stuck "running" for an hour, its worker killed) is claimed again, up to 3 attempts.
"""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from anbiao.notifications.models import JobRun

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
STUCK_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Job:
    code: str
    name: str
    run: Callable[[date], str]  # day → summary of what it did
    weekly: bool = False  # runs for the Monday of each week instead of each day


def _expire_certificates(day: date) -> str:
    from anbiao.cases.services import expire_certificates

    return f"{expire_certificates(on=day)} 家企业转为证书已过期"


def _reminders(day: date) -> str:
    from anbiao.notifications.rules import rule_names
    from anbiao.notifications.services import evaluate_rules

    sent = evaluate_rules(on=day)
    names = rule_names()
    parts = [f"{names.get(code, code)} {n}" for code, n in sent.items() if n]
    return f"发送提醒 {sum(sent.values())} 条" + (f"({'、'.join(parts)})" if parts else "")


def _digest(day: date) -> str:
    from anbiao.notifications.services import send_digests

    return f"发送摘要邮件 {send_digests(on=day)} 封"


JOBS: dict[str, Job] = {
    job.code: job
    for job in (
        Job("expire_certificates", "证书状态每日更新", _expire_certificates),
        Job("reminders", "到期提醒", _reminders),
        Job("weekly_digest", "每周提醒摘要邮件", _digest, weekly=True),
    )
}


def catch_up_days() -> int:
    from config.env import env_int

    value = getattr(settings, "ANBIAO_SCHEDULE_CATCH_UP_DAYS", None)
    return int(value if value is not None else env_int("ANBIAO_SCHEDULE_CATCH_UP_DAYS", 7))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def due_days(job: Job, today: date) -> list[date]:
    """The days `job` has still to run for, oldest first (today's, or this week's Monday,
    included): every day since its last run within the catch-up window, plus failed runs."""
    last_day = JobRun.objects.filter(job=job.code).order_by("-day").values_list("day", flat=True)
    last_day = last_day.first()
    earliest = today - timedelta(days=catch_up_days())
    step = timedelta(days=7 if job.weekly else 1)
    newest = _monday(today) if job.weekly else today
    if last_day is None:
        start = newest
    else:
        start = max(last_day + step, _monday(earliest) if job.weekly else earliest)
    days = set()
    while start <= newest:
        days.add(start)
        start += step
    retry = JobRun.objects.filter(job=job.code, day__gte=earliest - step, attempts__lt=MAX_ATTEMPTS)
    retry = retry.filter(
        Q(status=JobRun.Status.FAILED)
        | Q(status=JobRun.Status.RUNNING, started_at__lt=timezone.now() - STUCK_AFTER)
    )
    return sorted(days | set(retry.values_list("day", flat=True)))


def claim(job: Job, day: date) -> JobRun | None:
    """Take the run of `job` for `day`, or None when another worker has it (or had it)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=job.code, day=day, status=JobRun.Status.RUNNING, started_at=now
            )
    except IntegrityError:
        pass
    again = JobRun.objects.filter(job=job.code, day=day, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=JobRun.Status.FAILED)
        | Q(status=JobRun.Status.RUNNING, started_at__lt=now - STUCK_AFTER)
    )
    # One UPDATE: of two workers retrying at once, only one sees its row count be 1.
    if again.update(status=JobRun.Status.RUNNING, started_at=now, attempts=F("attempts") + 1):
        return JobRun.objects.get(job=job.code, day=day)
    return None


def _retry_locked(fn, *args, retry: Callable[[], bool] = lambda: True):
    """Call `fn`, retrying while SQLite reports the database locked by another writer (two
    workers on one SQLite file; PostgreSQL waits on its own) and `retry()` allows it."""
    for attempt in range(60):
        try:
            return fn(*args)
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == 59 or not retry():
                raise
            time.sleep(0.01 * (attempt + 1))
    return None  # pragma: no cover - the loop returns or raises


def _run_atomically(job: Job, day: date) -> str:
    """Run the job in one transaction. Its transaction may not begin while another worker writes
    (SQLite has one writer at a time; a test's in-memory database refuses at once instead of
    waiting): it is begun again. A job that has begun is never run twice (the digest mails as it
    goes), so a lock met later fails the run, to be retried on the next tick."""
    began = False

    def once() -> str:
        nonlocal began
        with transaction.atomic():
            began = True
            return job.run(day)

    return _retry_locked(once, retry=lambda: not began)


def run_job(job: Job, day: date) -> JobRun | None:
    """Claim and run one job for one day; the run row records the outcome."""
    run = _retry_locked(claim, job, day)
    if run is None:
        return None
    try:
        summary = _run_atomically(job, day)
    except Exception:
        log.exception("定时任务 %s(%s)失败", job.code, day)
        run.status = JobRun.Status.FAILED
        run.error = traceback.format_exc()[-4000:]
        run.summary = ""
    else:
        run.status = JobRun.Status.DONE
        run.summary = summary[:500]
        run.error = ""
    run.finished_at = timezone.now()
    _retry_locked(lambda: run.save(update_fields=["status", "summary", "error", "finished_at"]))
    return run


def run_due(today: date | None = None) -> list[JobRun]:
    """Run every job for every day it is due, oldest first; returns the runs made here."""
    today = today or timezone.localdate()
    done = []
    for job in JOBS.values():
        for day in _retry_locked(due_days, job, today):
            run = run_job(job, day)
            if run is not None:
                done.append(run)
    return done
