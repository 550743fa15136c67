"""Large exports in the background: the registry (企业台账) and 附件3, when they have more than
`ANBIAO_EXPORT_INLINE_ROWS` rows (default 5,000), are built by the background worker — the same
`anbiao db-worker` that runs imports — with a progress bar, then downloaded from their page.
Smaller ones stream back in the request as before. See docs/enterprises.md, "Exports".

The job keeps the request's filters (`params`) and rebuilds the same rows with the requester's
scope; while it runs, the worker writes rows done / total to a small file beside the media (read
by the progress bar) and a job whose file went quiet for `ANBIAO_IMPORT_LEASE_SECONDS` lost its
worker and is marked 失败 (asking again starts a new one).
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone
from django_tasks import task

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require
from anbiao.accounts.choices import Role
from anbiao.core.progress import progress_path, read_progress, write_progress
from anbiao.enterprises.models import ExportJob

log = logging.getLogger(__name__)
S = ExportJob.Status
PROGRESS_EVERY = 1000
INTERRUPTED = "导出进程已中断(后台任务进程停止或服务器重启),请重新导出"
FAILED = "导出时发生内部错误,请稍后重试或联系管理员"

# kind → build(user, params, path, counted) -> rows written; registered by the views' module
# (they own how a request's filters become rows), so this module imports no view.
BUILDERS: dict[str, Callable] = {}


def register(kind: str, build: Callable) -> None:
    BUILDERS[kind] = build


# Roles whose scope is their whole region: they may see the exports made within it (a district
# its stations'). A 行业部门 sees only some industries of its region, so only its own exports.
REGIONAL_ROLES = (Role.DISTRICT, Role.STATION)


def visible_jobs(user) -> QuerySet[ExportJob]:
    """The export jobs `user` may see and download: for a district or station, those made within
    its region; every one for an administrator without a region; else only their own."""
    if not perms.has_perm(user, perms.ENTERPRISE_EXPORT):
        return ExportJob.objects.none()
    if user.role in REGIONAL_ROLES and user.region_id:
        return ExportJob.objects.filter(region__path__startswith=user.region.path)
    if user.role == Role.ADMIN and not user.region_id:
        return ExportJob.objects.all()
    return ExportJob.objects.filter(created_by=user)


def job_for(user, pk: int) -> ExportJob:
    job = visible_jobs(user).filter(pk=pk).select_related("created_by").first()
    if job is None:
        raise Http404("导出任务不存在或不在您的管辖范围内")
    return expire_if_abandoned(job)


def inline(rows: int) -> bool:
    """An export this small is built in the request."""
    return rows <= settings.ANBIAO_EXPORT_INLINE_ROWS


def export_job_create(
    *, actor, kind: str, params: QueryDict, filename: str, total_rows: int
) -> ExportJob:
    """Queue an export for the background worker; the page of the returned job follows it."""
    require(actor, perms.ENTERPRISE_EXPORT, message="您没有导出台账的权限")
    job = ExportJob.objects.create(
        kind=kind,
        params={key: params.getlist(key) for key in params},
        filename=filename[:200],
        region=actor.region if actor.region_id else None,
        total_rows=total_rows,
        created_by=actor,
    )
    transaction.on_commit(lambda: build_export.enqueue(job.pk))
    return job


# ---------------------------------------------------------------- progress


def _progress_path(job_id: int) -> Path:
    return progress_path("exports", job_id)


def _write_progress(job_id: int, done: int) -> None:
    write_progress(_progress_path(job_id), done=done)


def job_progress(job: ExportJob) -> dict:
    """Rows written / total, elapsed and estimated seconds left (for the bar)."""
    return read_progress(
        _progress_path(job.pk),
        total_rows=job.total_rows,
        started_at=job.started_at,
        queued=job.status == S.QUEUED,
    )


def expire_if_abandoned(job: ExportJob) -> ExportJob:
    """A running export whose worker stopped writing progress is marked 失败."""
    if job.status != S.RUNNING or job.started_at is None:
        return job
    path = _progress_path(job.pk)
    beat = path.stat().st_mtime if path.exists() else job.started_at.timestamp()
    if time.time() - beat < settings.ANBIAO_IMPORT_LEASE_SECONDS:
        return job
    changed = ExportJob.objects.filter(pk=job.pk, status=S.RUNNING).update(
        status=S.FAILED, finished_at=timezone.now(), error=INTERRUPTED
    )
    path.unlink(missing_ok=True)
    if changed:
        job.refresh_from_db()
    return job


def counted(job_id: int, rows: Iterable) -> Iterator:
    """The rows, writing how many have gone by to the progress file every few hundred."""
    done = 0
    _write_progress(job_id, 0)
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            _write_progress(job_id, done)
    _write_progress(job_id, done)


# ---------------------------------------------------------------- running a job


def run_export(job_id: int) -> None:
    """排队中 → 导出中 → 已完成 / 失败. Only the first worker to claim the job builds it."""
    claimed = ExportJob.objects.filter(pk=job_id, status=S.QUEUED).update(
        status=S.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("created_by", "created_by__region").get(pk=job_id)
    params = QueryDict(mutable=True)
    for key, values in job.params.items():
        params.setlist(key, values)
    work = Path(settings.MEDIA_ROOT) / "exports" / "work"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{job.pk}.xlsx"
    try:
        rows = BUILDERS[job.kind](job.created_by, params, str(path), lambda r: counted(job.pk, r))
        with path.open("rb") as stream:
            job.file.save(f"{job.kind}-{job.pk}.xlsx", File(stream), save=False)
        job.total_rows = rows
        job.status = S.DONE
    except Exception:
        log.exception("export %s failed", job_id)
        job.status, job.error = S.FAILED, FAILED
    finally:
        path.unlink(missing_ok=True)
        _progress_path(job.pk).unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.save()


@task()
def build_export(job_id: int) -> None:
    """Background: build a queued export (see run_export)."""
    run_export(job_id)
