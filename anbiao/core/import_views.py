"""The shared import pages: list, upload, preview with row errors, confirm, re-download."""

import os
import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.core import imports
from anbiao.core.forms import StyledForm
from anbiao.core.models import ImportJob
from anbiao.core.official_forms import XLSX
from anbiao.core.pagination import paginate, querystring_without


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


def _kind(kind: str) -> str:
    if kind not in imports.RUNNERS:
        raise Http404("未知的导入类型")
    return kind


def _job(user, pk: int) -> ImportJob:
    if not perms.has_perm(user, perms.IMPORT_VIEW):
        raise PermissionDenied("您没有查看导入记录的权限")
    job = ImportJob.objects.restrict(user, "view").filter(pk=pk).select_related("created_by")
    job = job.first()
    if job is None:
        raise Http404("导入记录不存在或不在您的管辖范围内")
    return job


def _require_runner_permission(user, job: ImportJob) -> None:
    permission, _ = imports.RUNNERS[job.kind]
    if not perms.has_perm(user, permission):
        raise PermissionDenied("您没有此导入的权限")


@require_GET
def import_list(request):
    if not perms.has_perm(request.user, perms.IMPORT_VIEW):
        raise PermissionDenied("您没有查看导入记录的权限")
    jobs = ImportJob.objects.restrict(request.user, "view").select_related("created_by")
    can_import = [
        (kind, ImportJob.Kind(kind).label)
        for kind, (perm, _) in imports.RUNNERS.items()
        if perms.has_perm(request.user, perm) and kind not in imports.TARGETED
    ]
    return render(
        request,
        "core/import_list.html",
        {
            "page": paginate(request, jobs),
            "query": querystring_without(request, "page"),
            "can_import": can_import,
        },
    )


@require_http_methods(["GET", "POST"])
def import_upload(request, kind: str):
    kind = _kind(kind)
    if kind in imports.TARGETED:
        raise Http404("请从对应页面导入")
    permission, _ = imports.RUNNERS[kind]
    if not perms.has_perm(request.user, permission):
        raise PermissionDenied("您没有此导入的权限")
    form = UploadForm(request.POST or None, request.FILES or None)
    if kind not in imports.DATED:
        del form.fields["effective_on"]
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(
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
        {
            "form": form,
            "kind": kind,
            "kind_label": ImportJob.Kind(kind).label,
        },
    )


@require_GET
def import_detail(request, pk: int):
    job = _job(request.user, pk)
    can_confirm = (
        job.status == ImportJob.Status.PREVIEWED
        and job.created_by_id == request.user.pk
        and (job.invalid_count == 0 or job.skip_invalid)
    )
    return render(
        request,
        "core/import_detail.html",
        {
            "job": job,
            "can_confirm": can_confirm,
            "errors_page": paginate(request, job.errors, per_page=50),
            "query": querystring_without(request, "page"),
        },
    )


def import_confirm(request, pk: int):
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        job = imports.import_job_commit(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(
                request,
                f"导入完成:新增 {job.created_count},更新 {job.updated_count},"
                f"无变化 {job.unchanged_count}",
            )
        else:
            messages.error(request, "导入未完成,数据未作任何修改,请查看错误明细")
    return redirect("imports:detail", pk=job.pk)


def import_cancel(request, pk: int):
    job = _job(request.user, pk)
    _require_runner_permission(request.user, job)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    imports.import_job_cancel(actor=request.user, job=job)
    messages.info(request, "已取消该导入")
    return redirect("imports:list")


@require_GET
def import_file(request, pk: int):
    job = _job(request.user, pk)
    if not job.file or not job.file.storage.exists(job.file.name):
        raise Http404("原文件已不存在")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.original_name)


@require_GET
def import_template(request, kind: str):
    kind = _kind(kind)
    permission, _ = imports.RUNNERS[kind]
    if not perms.has_perm(request.user, permission):
        raise PermissionDenied("您没有此导入的权限")
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        imports.write_template(path, kind)
        stream = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    finally:
        os.unlink(path)
    return FileResponse(
        stream,
        as_attachment=True,
        content_type=XLSX,
        filename=f"{ImportJob.Kind(kind).label}导入模板.xlsx",
    )
