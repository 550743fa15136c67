"""Registry pages. Thin: reads through selectors, writes through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires, requires_any, requires_login
from anbiao.core.excel import write_table, xlsx_response
from anbiao.core.filtering import describe_filters
from anbiao.core.forms import apply_errors
from anbiao.core.official_forms import XLSX
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_float, parse_int
from anbiao.enterprises import export_jobs, selectors, services
from anbiao.enterprises.exports import export_table
from anbiao.enterprises.forms import EnterpriseForm, ProfileForm, StatusForm
from anbiao.enterprises.models import ExportJob
from anbiao.enterprises.sizing import classify_size


@require_GET
@requires(perms.ENTERPRISE_VIEW)
def enterprise_list(request):
    filterset, qs = selectors.enterprise_list(user=request.user, params=request.GET)
    searching = bool(request.GET.get("q", "").strip())
    rows = qs if request.GET.get("ordering") else selectors.in_list_order(qs, searching=searching)
    page = paginate(request, rows)
    context = {
        "filterset": filterset,
        "page": page,
        "query": querystring_without(request, "page"),
        "sort_query": querystring_without(request, "page", "ordering"),
        "ordering": request.GET.get("ordering", ""),
        "can_create": perms.has_perm(request.user, perms.ENTERPRISE_CREATE),
        "can_export": perms.has_perm(request.user, perms.ENTERPRISE_EXPORT),
    }
    template = "enterprises/_table.html" if request.htmx else "enterprises/list.html"
    return render(request, template, context)


@require_GET
@requires(perms.ENTERPRISE_EXPORT)
def enterprise_export(request):
    filterset, qs = selectors.enterprise_list(user=request.user, params=request.GET)
    filename = f"企业台账-{timezone.localdate():%Y%m%d}.xlsx"
    rows = qs.count()
    if not export_jobs.inline(rows):
        job = export_jobs.export_job_create(
            actor=request.user,
            kind=ExportJob.Kind.REGISTRY,
            params=request.GET,
            filename=filename,
            total_rows=rows,
        )
        return redirect("enterprises:export_job", pk=job.pk)
    table = export_table(qs, user=request.user, description=describe_filters(filterset))
    return xlsx_response(filename, **table)


def build_registry(user, params, path: str, counted) -> int:
    """The background worker's build of a large registry export (enterprises/export_jobs.py)."""
    filterset, qs = selectors.enterprise_list(user=user, params=params)
    table = export_table(qs, user=user, description=describe_filters(filterset))
    table["rows"] = counted(table["rows"])
    return write_table(path, **table)


export_jobs.register(ExportJob.Kind.REGISTRY, build_registry)


@require_GET
@requires(perms.ENTERPRISE_EXPORT)
def export_job(request, pk: int):
    """A background export: its progress while it runs (the bar polls this page with htmx),
    then its download."""
    job = export_jobs.job_for(request.user, pk)
    progress = export_jobs.job_progress(job) if job.running else None
    if request.htmx:
        if not job.running:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(
            request, "enterprises/_export_progress.html", {"job": job, "progress": progress}
        )
    return render(request, "enterprises/export_job.html", {"job": job, "progress": progress})


@require_GET
@requires(perms.ENTERPRISE_EXPORT)
def export_download(request, pk: int):
    job = export_jobs.job_for(request.user, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404("导出文件尚未生成")
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX
    )


@require_GET
@requires(perms.ENTERPRISE_VIEW)
def enterprise_detail(request, pk: int):
    enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    user = request.user
    return render(
        request,
        "enterprises/detail.html",
        {
            "enterprise": enterprise,
            "history": selectors.enterprise_history(user=user, enterprise=enterprise),
            "facts": selectors.enterprise_facts(user=user, enterprise=enterprise),
            "can_change": perms.has_perm(user, perms.ENTERPRISE_CHANGE),
            "can_edit_profile": perms.has_perm(user, perms.ENTERPRISE_EDIT_PROFILE),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.ENTERPRISE_CREATE)
def enterprise_create(request):
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        risk_tags = data.pop("risk_tags")
        effective_on = data.pop("effective_on")
        try:
            enterprise = services.enterprise_create(
                actor=request.user, data=data, risk_tags=risk_tags, effective_on=effective_on
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已登记企业“{enterprise.name}”")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/form.html", {"form": form, "title": "登记企业"})


@require_http_methods(["GET", "POST"])
@requires_any(perms.ENTERPRISE_CHANGE, perms.ENTERPRISE_EDIT_PROFILE)
def enterprise_edit(request, pk: int):
    user = request.user
    full = perms.has_perm(user, perms.ENTERPRISE_CHANGE)
    enterprise = selectors.enterprise_get(user=user, pk=pk)
    if full:
        form = EnterpriseForm(request.POST or None, instance=enterprise, user=user)
    else:
        form = ProfileForm(request.POST or None, instance=enterprise)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        risk_tags = data.pop("risk_tags", None)
        effective_on = data.pop("effective_on", timezone.localdate())
        try:
            changes = services.enterprise_update(
                actor=user,
                enterprise=enterprise,
                data=data,
                risk_tags=risk_tags,
                effective_on=effective_on,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if changes:
                messages.success(request, f"已保存 {len(changes)} 项修改")
            else:
                messages.info(request, "没有需要保存的修改")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(
        request,
        "enterprises/form.html",
        {
            "form": form,
            "enterprise": enterprise,
            "title": f"编辑 {enterprise.name}",
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.ENTERPRISE_CHANGE)
def enterprise_status(request, pk: int):
    enterprise = selectors.enterprise_get(user=request.user, pk=pk, action="change")
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_change_status(
                actor=request.user, enterprise=enterprise, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "经营状态已变更")
            return redirect("enterprises:detail", pk=enterprise.pk)
    return render(request, "enterprises/status.html", {"form": form, "enterprise": enterprise})


@require_GET
@requires_login  # a calculation on the figures typed; reads no data
def size_hint(request):
    """htmx: the size the 300号 thresholds give for the figures typed so far."""

    size = classify_size(
        request.GET.get("industry", ""),
        parse_int(request.GET.get("employees"), low=0, high=10**9),
        parse_float(request.GET.get("revenue"), low=0, high=1e12),
        request.GET.get("industry_code", ""),
    )
    labels = dict(EnterpriseForm.base_fields["size"].choices)
    return render(request, "enterprises/_size_hint.html", {"size": labels.get(size)})
