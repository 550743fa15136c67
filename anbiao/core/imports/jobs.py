"""Import jobs: an uploaded file is kept, checked without writing anything (检查中 → 检查通过 /
检查失败), then imported on the user's confirmation (导入中 → 已完成 / 失败).

Files above `ANBIAO_IMPORT_INLINE_ROWS` rows are checked and imported by the background worker
(`anbiao db-worker`, django-tasks); smaller ones run inside the request. While a job runs, the
worker writes its progress to a small file beside the media (not the database: an import's
transactions are not visible to others while they run, and its progress must be readable) and
touches it every few seconds; a job whose progress file went quiet for
`ANBIAO_IMPORT_LEASE_SECONDS` lost its worker and is marked 失败 — what it had not committed is
not written (a ledger and a progress file write in batches, each committed whole; the other
kinds in one transaction), and running it again completes it without writing anything twice
(every import kind is idempotent). See docs/import-ledger.md, docs/cases.md and
docs/operations.md.
"""

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, transaction
from django.utils import timezone
from django_tasks import task

from anbiao.accounts.access import require
from anbiao.core import audit
from anbiao.core.imports import preview, registry
from anbiao.core.imports.outcome import ImportOutcome
from anbiao.core.imports.reader import SUPPORTED, ImportFileError, RowError, inspect_file
from anbiao.core.imports.signals import rows_imported
from anbiao.core.models import ImportJob, ImportMapping
from anbiao.core.progress import progress_path, read_progress, write_progress

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 2000
S = ImportJob.Status
LOCKED_MESSAGE = "数据库正忙(其他用户正在写入大量数据),已重试仍未成功,请稍后再试"
INTERRUPTED = "导入进程已中断(后台任务进程停止或服务器重启),可重新导入"
UNFINISHED = "导入时发生内部错误,导入未完成;可重新导入(已写入的不会重复写入),如仍失败请联系管理员"


def check_upload(upload: UploadedFile) -> int:
    """Accept only spreadsheets, by name and by content, within the size limits. Returns the
    number of rows the file says it has (read from the workbook's own index, not the sheet)."""
    suffix = Path(upload.name).suffix.lower()
    if suffix not in SUPPORTED:
        raise ValidationError(
            {"file": f"不支持的文件类型“{suffix}”,请上传 .xlsx、.xls 或 .csv 文件"}
        )
    limit = settings.ANBIAO_MAX_UPLOAD_MB
    if upload.size > limit * 1024 * 1024:
        raise ValidationError({"file": f"文件超过{limit}MB上限"})
    head = upload.read(8)
    upload.seek(0)
    zip_based = head.startswith(b"PK\x03\x04")
    ole = head.startswith(b"\xd0\xcf\x11\xe0")
    if suffix in (".xlsx", ".xlsm", ".ods") and not zip_based:
        raise ValidationError({"file": "文件内容不是Excel(.xlsx)格式,请确认文件未损坏"})
    if suffix == ".xls" and not (ole or zip_based):
        raise ValidationError({"file": "文件内容不是Excel(.xls)格式,请确认文件未损坏"})
    if suffix == ".csv" and (zip_based or ole or b"\x00" in head):
        raise ValidationError({"file": "文件内容不是CSV文本"})
    try:
        rows = inspect_file(upload, upload.name)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    finally:
        upload.seek(0)
    return rows


# ---------------------------------------------------------------- progress and heartbeat


def _progress_path(job_id: int) -> Path:
    return progress_path("imports", job_id)


def _write_progress(job_id: int, **values) -> None:
    write_progress(_progress_path(job_id), **values)


def job_progress(job: ImportJob) -> dict:
    """Rows done / total, elapsed and estimated seconds left of a running job (for the bar)."""
    path = _progress_path(job.pk)
    return read_progress(
        path, total_rows=job.total_rows, started_at=job.started_at, queued=not path.exists()
    )


class _Heartbeat:
    """Touches the job's progress file every few seconds while the job runs, so a job whose
    worker died (SIGKILL, power loss) can be told from a slow one."""

    def __init__(self, job: ImportJob):
        self.job_id, self.total = job.pk, job.total_rows
        self.done = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self.update(0)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        _progress_path(self.job_id).unlink(missing_ok=True)

    def update(self, done: int) -> None:
        self.done = max(self.done, done)
        _write_progress(self.job_id, done=self.done, total=self.total)

    def _beat(self) -> None:
        every = max(0.5, min(5.0, settings.ANBIAO_IMPORT_LEASE_SECONDS / 4))
        while not self.stop.wait(every):
            try:
                _write_progress(self.job_id, done=self.done, total=self.total)
            except OSError:  # a full disk must not kill the import itself
                log.warning("import %s: cannot write progress", self.job_id)


def expire_if_abandoned(job: ImportJob) -> ImportJob:
    """Mark a running job whose worker stopped beating as failed (its transaction was never
    committed, or only its whole batches; running it again completes it). A job still waiting in
    the queue is left alone."""
    if job.status not in (S.CHECKING, S.IMPORTING) or job.started_at is None:
        return job
    path = _progress_path(job.pk)
    lease = settings.ANBIAO_IMPORT_LEASE_SECONDS
    beat = path.stat().st_mtime if path.exists() else job.started_at.timestamp()
    if time.time() - beat < lease:
        return job
    failed = S.CHECK_FAILED if job.status == S.CHECKING else S.FAILED
    changed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=failed,
        finished_at=timezone.now(),
        errors=[RowError(0, "", INTERRUPTED).as_dict()],
    )
    path.unlink(missing_ok=True)
    if changed:
        job.refresh_from_db()
    return job


# ---------------------------------------------------------------- running a job


def _run(job: ImportJob, *, dry_run: bool, progress=None) -> ImportOutcome:
    spec = registry.get(job.kind)
    with audit.source(f"导入第 {job.pk} 号({job.original_name})"[:60]):
        return _call(spec, job, dry_run=dry_run, progress=progress)


def _call(spec, job: ImportJob, *, dry_run: bool, progress=None) -> ImportOutcome:
    return spec.runner(
        job.file.path,
        user=job.created_by,
        filename=job.original_name,
        dry_run=dry_run,
        skip_invalid=job.skip_invalid,
        effective_on=job.effective_on or timezone.localdate(),
        target_id=job.target_id,
        mapping=job.mapping or None,
        progress=progress,
    )


def _store(job: ImportJob, outcome: ImportOutcome) -> None:
    job.total_rows = outcome.total
    job.created_count, job.updated_count = outcome.created, outcome.updated
    job.unchanged_count, job.invalid_count = outcome.unchanged, outcome.invalid
    job.errors = [e.as_dict() for e in outcome.errors[:MAX_ERRORS_KEPT]]
    job.warnings = [w.as_dict() for w in outcome.warnings[:MAX_ERRORS_KEPT]]
    job.report = {
        "ignored_columns": outcome.ignored_columns,
        "missing_columns": outcome.missing_columns,
        "new_communities": outcome.new_communities,
        "notices": outcome.notices(),
        "warning_count": len(outcome.warnings),
    }


def retry_when_locked(function, *args, attempts: int = 4, **kwargs):
    """Run `function`; when SQLite still reports "database is locked" after its busy timeout,
    wait and try again, then give up with a Chinese message (ImportFileError)."""
    for attempt in range(attempts):
        try:
            return function(*args, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise ImportFileError(LOCKED_MESSAGE) from exc
            time.sleep(1 + attempt)
    raise AssertionError("unreachable")


def _fail(job: ImportJob, status: str, message: str) -> None:
    job.status = status
    job.errors = [RowError(0, "", message).as_dict()]
    job.finished_at = timezone.now()
    job.save()


def run_check(job_id: int) -> None:
    """检查中 → 检查通过 / 检查失败: the runner's dry run, which writes nothing."""
    job = ImportJob.objects.select_related("created_by", "region").get(pk=job_id)
    if job.status != S.CHECKING:
        return
    job.started_at = timezone.now()
    job.save(update_fields=["started_at"])
    observers: list = []

    def check(beat: _Heartbeat) -> ImportOutcome:
        # Fresh observers for each attempt: a retried check reports its changes again.
        observers[:] = registry.preview_observers(job)
        with preview.observing(observers):
            return _run(job, dry_run=True, progress=beat.update)

    try:
        with _Heartbeat(job) as beat:
            outcome = retry_when_locked(check, beat)
    except ImportFileError as exc:
        _fail(job, S.CHECK_FAILED, str(exc))
        return
    except Exception:
        log.exception("import %s: check failed", job_id)
        _fail(job, S.CHECK_FAILED, "检查时发生内部错误,数据未作任何修改,请联系管理员")
        return
    _store(job, outcome)
    job.status = S.CHECK_FAILED if outcome.invalid and not job.skip_invalid else S.CHECKED
    if outcome.total == 0:
        job.status = S.CHECK_FAILED
        job.errors = [RowError(0, "", "文件中没有数据行").as_dict()]
    if job.status == S.CHECKED:  # would confirming change figures already filed?
        job.report["filed_changes"] = registry.preview_notices(observers)
    job.save()


def _write(job: ImportJob, beat: _Heartbeat) -> ImportOutcome:
    # The runner writes in transactions of its own (one, or batches for a ledger and a progress
    # file) after reading
    # and checking the file outside them, so the write lock is held only while rows are written.
    # A worker killed mid-import leaves what it committed (nothing, or whole batches); the job is
    # marked 失败 and running it again completes it (every import kind is idempotent).
    outcome = _run(job, dry_run=False, progress=beat.update)
    _store(job, outcome)
    job.status = S.DONE if outcome.written else S.FAILED
    job.finished_at = timezone.now()
    job.save()
    if outcome.written:
        rows_imported.send(sender=job.kind)
    return outcome


def run_import(job_id: int) -> None:
    """导入中 → 已完成 / 失败: the import itself (one transaction, or whole batches)."""
    job = ImportJob.objects.select_related("created_by", "region").get(pk=job_id)
    if job.status != S.IMPORTING:
        return
    job.started_at = timezone.now()
    job.save(update_fields=["started_at"])
    try:
        with _Heartbeat(job) as beat:
            retry_when_locked(_write, job, beat)
    except ImportFileError as exc:
        _fail(job, S.FAILED, str(exc))
    except Exception:
        log.exception("import %s: import failed", job_id)
        _fail(job, S.FAILED, UNFINISHED)


@task()
def check_import(job_id: int) -> None:
    """Background: check an uploaded file (see run_check)."""
    run_check(job_id)


@task()
def commit_import(job_id: int) -> None:
    """Background: import a checked file (see run_import)."""
    run_import(job_id)


def _inline(job: ImportJob) -> bool:
    return job.total_rows <= settings.ANBIAO_IMPORT_INLINE_ROWS


# ---------------------------------------------------------------- services the views call


def remembered_mapping(*, region, kind: str) -> dict[str, str]:
    """The header → column mapping last chosen for this 镇街 and kind."""
    if region is None:
        return {}
    rows = ImportMapping.objects.filter(region=region, kind=kind)
    return {m.header: m.column for m in rows}


def import_job_create(
    *,
    actor,
    kind: str,
    upload: UploadedFile,
    skip_invalid: bool = False,
    effective_on=None,
    target_id: int | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Keep the uploaded file and check it (in the request when small, else in the worker).
    A file that cannot be read is refused here, before anything is kept."""
    spec = registry.get(kind)
    require(actor, spec.permission, message="您没有此导入的权限")
    rows = check_upload(upload)
    region = actor.region if actor.region_id else None
    if mapping is None:
        mapping = remembered_mapping(region=region, kind=kind)
    job = ImportJob.objects.create(
        kind=kind,
        status=S.CHECKING,
        file=upload,
        original_name=Path(upload.name).name[:200],
        region=region,
        created_by=actor,
        skip_invalid=skip_invalid,
        effective_on=effective_on,
        target_id=target_id,
        total_rows=rows,
        mapping=mapping,
    )
    if _inline(job):
        run_check(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: check_import.enqueue(job.pk))
    return job


def import_job_remap(*, actor, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Check the same file again with the user's column mapping, and remember the mapping
    for the uploader's 镇街 (offered on the next import of this kind)."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied("只能调整自己上传的导入")
    require(actor, registry.get(job.kind).permission, message="您没有此导入的权限")
    columns = {c.key for c in registry.get(job.kind).columns}
    mapping = {h: k for h, k in mapping.items() if k == "" or k in columns}
    with transaction.atomic():
        changed = ImportJob.objects.filter(
            pk=job.pk, status__in=(S.CHECKED, S.CHECK_FAILED)
        ).update(status=S.CHECKING, mapping={**job.mapping, **mapping}, started_at=None)
        if not changed:
            raise ValidationError("该导入已确认或正在处理,不能再调整列")
        if job.region_id:
            for header, column in mapping.items():
                ImportMapping.objects.update_or_create(
                    region_id=job.region_id,
                    kind=job.kind,
                    header=header,
                    defaults={"column": column, "updated_by": actor},
                )
    job.refresh_from_db()
    if _inline(job):
        run_check(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: check_import.enqueue(job.pk))
    return job


def import_job_skip_invalid(*, actor, job: ImportJob) -> ImportJob:
    """Check a file that failed on invalid rows again, skipping them: the preview then shows
    what the valid rows would create and update, and 确认导入 imports only those."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied("只能调整自己上传的导入")
    require(actor, registry.get(job.kind).permission, message="您没有此导入的权限")
    with transaction.atomic():
        changed = ImportJob.objects.filter(
            pk=job.pk, status__in=(S.CHECKED, S.CHECK_FAILED)
        ).update(status=S.CHECKING, skip_invalid=True, started_at=None)
        if not changed:
            raise ValidationError("该导入已确认或正在处理,不能再调整")
    job.refresh_from_db()
    if _inline(job):
        run_check(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: check_import.enqueue(job.pk))
    return job


def import_job_commit(*, actor, job: ImportJob) -> ImportJob:
    """Import a checked file. Idempotent: only the first confirmation moves the job from
    检查通过 to 导入中; a second click (or a retry) finds it moving and changes nothing."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied("只能确认自己上传的导入")
    require(actor, registry.get(job.kind).permission, message="您没有此导入的权限")
    # 失败 comes only from the import phase, whose transaction wrote nothing: it may run again.
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=(S.CHECKED, S.FAILED)).update(
        status=S.IMPORTING, started_at=timezone.now(), finished_at=None
    )
    job.refresh_from_db()
    if not claimed:
        if job.status in (S.IMPORTING, S.DONE):
            return job  # already confirmed: show the same job, import nothing twice
        raise ValidationError("该导入未通过检查或已处理,不能确认")
    if _inline(job):
        run_import(job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: commit_import.enqueue(job.pk))
    return job


def import_job_cancel(*, actor, job: ImportJob) -> None:
    if job.created_by_id != actor.pk or job.status not in (S.CHECKED, S.CHECK_FAILED):
        raise PermissionDenied("不能取消该导入")
    job.status = S.CANCELLED
    job.save(update_fields=["status"])
