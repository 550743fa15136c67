"""The shared import pages: list, upload, the check (with row errors, warnings, ignored columns
and a column mapping), the progress of a running job, confirm, re-download."""

import os
import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require, requires
from anbiao.core.forms import StyledForm
from anbiao.core.imports import jobs, registry
from anbiao.core.imports.reader import header_key
from anbiao.core.models import ImportJob
from anbiao.core.official_forms import XLSX
from anbiao.core.pagination import paginate, querystring_without

S = ImportJob.Status
WARNINGS_SHOWN = 200  # the full list is in the record and in `anbiao import --json`


class UploadForm(StyledForm):
    file = forms.FileField(label="选择文件", help_text="支持 .xlsx、.xls、.csv(UTF-8或GBK编码)")
    effective_on = forms.DateField(
        label="变化生效日期",
        required=False,
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="已有企业的规模、创建条件等变化自该日起计入台账",
    )
    skip_invalid = forms.BooleanField(label="跳过错误行,只导入正确的行", required=False)


def _spec(kind: str) -> registry.ImportKind:
    if kind not in registry.KINDS:
        raise Http404("未知的导入类型")
    return registry.get(kind)


def _job(user, pk: int) -> ImportJob:
    job = ImportJob.objects.restrict(user, "view").filter(pk=pk).select_related("created_by")
    job = job.first()
    if job is None:
        raise Http404("导入记录不存在或不在您的管辖范围内")
    return jobs.expire_if_abandoned(job)


def _require_runner_permission(user, job: ImportJob) -> None:
    require(user, registry.get(job.kind).permission, message="您没有此导入的权限")


@require_GET
@requires(perms.IMPORT_VIEW)
def import_list(request):
    records = ImportJob.objects.restrict(request.user, "view").select_related("created_by")
    can_import = [
        (kind, ImportJob.Kind(kind).label)
        for kind, spec in registry.KINDS.items()
        if perms.has_perm(request.user, spec.permission) and not spec.targeted
    ]
    return render(
        request,
        "core/import_list.html",
        {
            "page": paginate(request, records),
            "query": querystring_without(request, "page"),
            "can_import": can_import,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.IMPORT_VIEW)
def import_upload(request, kind: str):
    spec = _spec(kind)
    if spec.targeted:
        raise Http404("请从对应页面导入")
    require(request.user, spec.permission, message="您没有此导入的权限")
    form = UploadForm(request.POST or None, request.FILES or None)
    if not spec.dated:
        del form.fields["effective_on"]
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.import_job_create(
                actor=request.user,
                kind=kind,
                upload=form.cleaned_data["file"],
                skip_invalid=form.cleaned_data["skip_invalid"],
                effective_on=form.cleaned_data.get("effective_on"),
            )
        except ValidationError as exc:
            form.add_error("file", exc.message_dict.get("file", exc.messages))
        else:
            return redirect("imports:detail", pk=job.pk)
    return render(
        request,
        "core/import_upload.html",
        {"form": form, "kind": kind, "kind_label": ImportJob.Kind(kind).label},
    )


def _mapping_rows(job: ImportJob) -> list[dict]:
    """The headers the check did not understand (and those the user mapped), each with the
    columns it may be mapped to."""
    spec = registry.get(job.kind)
    chosen = {header_key(h): k for h, k in (job.mapping or {}).items()}
    headers = list(job.report.get("ignored_columns", []))
    headers += [h for h in (job.mapping or {}) if h not in headers]
    labels = {c.key: c.label for c in spec.columns}
    return [
        {
            "header": header,
            "key": header_key(header),
            "chosen": chosen.get(header_key(header)),
            "chosen_label": labels.get(chosen.get(header_key(header)) or "", "忽略"),
        }
        for header in headers
    ]


@require_GET
@requires(perms.IMPORT_VIEW)
def import_detail(request, pk: int):
    job = _job(request.user, pk)
    own = job.created_by_id == request.user.pk
    spec = registry.get(job.kind)
    return render(
        request,
        "core/import_detail.html",
        {
            "job": job,
            "own": own,
            "can_confirm": job.status == S.CHECKED and own,
            "can_remap": own and job.status in (S.CHECKED, S.CHECK_FAILED),
            "can_skip_invalid": own and job.status == S.CHECK_FAILED and job.invalid_count > 0,
            "can_retry": own and job.status == S.FAILED and job.started_at is not None,
            "progress": jobs.job_progress(job) if job.running else None,
            "mapping_rows": _mapping_rows(job),
            "columns": spec.columns,
            "errors_page": paginate(request, job.errors, per_page=50),
            "warnings_shown": job.warnings[:WARNINGS_SHOWN],
            "query": querystring_without(request, "page"),
        },
    )


@require_GET
@requires(perms.IMPORT_VIEW)
def import_progress(request, pk: int):
    """The progress bar, polled by htmx while the job runs; once it has finished the page
    reloads to show the result."""
    job = _job(request.user, pk)
    if not job.running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "core/_import_progress.html",
        {"job": job, "progress": jobs.job_progress(job)},
    )


@requires(perms.IMPORT_VIEW)
def import_confirm(request, pk: int):
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":  # after the permission: a user without it learns nothing
        return HttpResponseNotAllowed(["POST"])
    try:
        job = jobs.import_job_commit(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        if job.status == S.DONE:
            messages.success(
                request,
                f"导入完成:新增 {job.created_count},更新 {job.updated_count},"
                f"无变化 {job.unchanged_count}",
            )
        elif job.status == S.FAILED:
            messages.error(request, "导入未完成,请查看原因;重新导入不会重复写入")
    return redirect("imports:detail", pk=job.pk)


@requires(perms.IMPORT_VIEW)
def import_skip_invalid(request, pk: int):
    """Check the file again skipping its invalid rows, to preview and import the valid ones."""
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":  # after the permission: a user without it learns nothing
        return HttpResponseNotAllowed(["POST"])
    try:
        jobs.import_job_skip_invalid(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    return redirect("imports:detail", pk=job.pk)


@requires(perms.IMPORT_VIEW)
def import_remap(request, pk: int):
    """Check the file again with the columns the user mapped (remembered for their 镇街)."""
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":  # after the permission: a user without it learns nothing
        return HttpResponseNotAllowed(["POST"])
    columns = {c.key for c in registry.get(job.kind).columns}
    mapping = {}
    for header in request.POST.getlist("header"):
        choice = request.POST.get(f"map-{header_key(header)}", "-")
        if choice == "" or choice in columns:
            mapping[header[:100]] = choice
    try:
        jobs.import_job_remap(actor=request.user, job=job, mapping=mapping)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.info(request, "已按所选对应关系重新检查,并记住本镇街的选择")
    return redirect("imports:detail", pk=job.pk)


@requires(perms.IMPORT_VIEW)
def import_cancel(request, pk: int):
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":  # after the permission: a user without it learns nothing
        return HttpResponseNotAllowed(["POST"])
    try:
        jobs.import_job_cancel(actor=request.user, job=job)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("imports:detail", pk=job.pk)
    messages.info(request, "已取消该导入")
    return redirect("imports:list")


@require_GET
@requires(perms.IMPORT_VIEW)
def import_file(request, pk: int):
    job = _job(request.user, pk)
    if not job.file or not job.file.storage.exists(job.file.name):
        raise Http404("原文件已不存在")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)


@require_GET
@requires(perms.IMPORT_VIEW)
def import_template(request, kind: str):
    spec = _spec(kind)
    require(request.user, spec.permission, message="您没有此导入的权限")
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        registry.write_template(path, kind)
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)
    return FileResponse(
        stream,
        as_attachment=True,
        content_type=XLSX,
        filename=f"{ImportJob.Kind(kind).label}导入模板.xlsx",
    )
