"""Import jobs: an uploaded file is kept, checked in a dry run (preview), then committed on the
user's confirmation. Each kind of import registers its runner here; the web flow, the record
of who imported what, and the re-download of the file are shared.

A runner is `run(path, *, user, filename, dry_run, skip_invalid, effective_on, target_id)`
returning an object with total/created/updated/unchanged/invalid/errors (see
anbiao/enterprises/importers.ImportOutcome).
"""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from anbiao.accounts import permissions as perms
from anbiao.core.importing import SUPPORTED, ImportFileError, RowError
from anbiao.core.models import ImportJob

RUNNERS: dict[str, tuple[str, Callable]] = {}  # kind → (permission needed, runner)
TEMPLATES: dict[str, tuple[list, dict, str]] = {}  # kind → (columns, example row, help text)
DATED: set[str] = set()  # kinds whose changes take a "变化生效日期"
TARGETED: set[str] = set()  # kinds imported into one object (a survey round), not from the list
MAX_ERRORS_KEPT = 2000


def register(
    kind: str,
    permission: str,
    runner: Callable,
    *,
    columns: list,
    example: dict,
    help_text: str = "",
    targeted: bool = False,
    dated: bool = False,
) -> None:
    """Make an import kind available to the web flow (upload → preview → confirm)."""
    RUNNERS[kind] = (permission, runner)
    TEMPLATES[kind] = (columns, example, help_text)
    if targeted:
        TARGETED.add(kind)
    if dated:
        DATED.add(kind)


def write_template(path: str, kind: str) -> None:
    """The downloadable template: the expected headers (* = required), one example row, and a
    second sheet explaining each column."""
    import xlsxwriter

    columns, example, help_text = TEMPLATES[kind]
    book = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("导入数据")
    head = book.add_format(
        {
            "bold": True,
            "bg_color": "#DDE7F5",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    required = book.add_format(
        {
            "bold": True,
            "bg_color": "#FBE3D6",
            "border": 1,
            "text_wrap": True,
            "align": "center",
            "valign": "vcenter",
        }
    )
    text = book.add_format({"num_format": "@"})
    for index, column in enumerate(columns):
        sheet.set_column(index, index, max(10, len(column.label) * 2 + 2), text)
        label = column.label + ("*" if column.required else "")
        sheet.write_string(0, index, label, required if column.required else head)
        value = example.get(column.key, "")
        sheet.write_string(1, index, str(value)) if value != "" else None
    sheet.freeze_panes(1, 0)
    guide = book.add_worksheet("填写说明")
    guide.set_column(0, 0, 22)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 2, 70)
    guide.write_row(0, 0, ["列名", "必填", "说明(也可使用的列名)"], head)
    for index, column in enumerate(columns, start=1):
        guide.write_string(index, 0, column.label)
        guide.write_string(index, 1, "是" if column.required else "")
        guide.write_string(index, 2, "、".join(column.aliases))
    guide.write_string(len(columns) + 2, 0, help_text)
    book.close()


def check_upload(upload: UploadedFile) -> None:
    """Accept only spreadsheets, by name and by content, within the size limit."""
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


def _run(job: ImportJob, *, dry_run: bool):
    permission, runner = RUNNERS[job.kind]
    return runner(
        job.file.path,
        user=job.created_by,
        filename=job.original_name,
        dry_run=dry_run,
        skip_invalid=job.skip_invalid,
        effective_on=job.effective_on or timezone.localdate(),
        target_id=job.target_id,
    )


def _store(job: ImportJob, outcome) -> None:
    job.total_rows = outcome.total
    job.created_count, job.updated_count = outcome.created, outcome.updated
    job.unchanged_count, job.invalid_count = outcome.unchanged, outcome.invalid
    job.errors = [e.as_dict() for e in outcome.errors[:MAX_ERRORS_KEPT]]


def import_job_create(
    *,
    actor,
    kind: str,
    upload: UploadedFile,
    skip_invalid: bool = False,
    effective_on=None,
    target_id: int | None = None,
) -> ImportJob:
    """Keep the uploaded file and preview it (a dry run). An unreadable file is recorded as
    failed with the reason, so the user sees why."""
    permission, _ = RUNNERS[kind]
    if not perms.has_perm(actor, permission):
        raise PermissionDenied("您没有此导入的权限")
    check_upload(upload)
    job = ImportJob.objects.create(
        kind=kind,
        file=upload,
        original_name=Path(upload.name).name[:200],
        region=actor.region if actor.region_id else None,
        created_by=actor,
        skip_invalid=skip_invalid,
        effective_on=effective_on,
        target_id=target_id,
    )
    try:
        outcome = _run(job, dry_run=True)
    except ImportFileError as exc:
        job.status = ImportJob.Status.FAILED
        job.errors = [RowError(0, "", str(exc)).as_dict()]
    else:
        _store(job, outcome)
    job.save()
    return job


def import_job_commit(*, actor, job: ImportJob) -> ImportJob:
    """Import the previewed file for real: all or nothing unless the job skips invalid rows."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied("只能确认自己上传的导入")
    if job.status != ImportJob.Status.PREVIEWED:
        raise ValidationError("该导入已处理,不能重复确认")
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.PREVIEWED:
            raise ValidationError("该导入已处理,不能重复确认")
        try:
            outcome = _run(job, dry_run=False)
        except ImportFileError as exc:
            job.status = ImportJob.Status.FAILED
            job.errors = [RowError(0, "", str(exc)).as_dict()]
        else:
            _store(job, outcome)
            job.status = ImportJob.Status.DONE if outcome.written else ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.save()
    return job


def import_job_cancel(*, actor, job: ImportJob) -> None:
    if job.created_by_id != actor.pk or job.status != ImportJob.Status.PREVIEWED:
        raise PermissionDenied("不能取消该导入")
    job.status = ImportJob.Status.CANCELLED
    job.save(update_fields=["status"])
