"""Agency and expert pages: registries (with Excel export; import through 导入记录),
technical-service assignments, guidance records with files, and the workload view."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.agencies import selectors, services
from anbiao.agencies.exports import AGENCY_COLUMNS, EXPERT_COLUMNS, numbered
from anbiao.agencies.forms import (
    AgencyForm,
    AssignForm,
    EndAssignmentForm,
    ExpertForm,
    GuidanceForm,
    RegistryFilterForm,
)
from anbiao.core.excel import xlsx_response
from anbiao.core.files import stored_file_response
from anbiao.core.forms import apply_errors
from anbiao.core.pagination import paginate, querystring_without


def _can_manage(user) -> bool:
    return perms.has_perm(user, perms.AGENCY_MANAGE)


def _list_context(request, qs) -> dict:
    return {
        "page": paginate(request, qs),
        "query": querystring_without(request, "page"),
        "filter_form": RegistryFilterForm(request.GET or None),
        "can_manage": _can_manage(request.user),
        "can_see_experts": perms.has_perm(request.user, perms.EXPERT_VIEW),
    }


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def agency_list(request):
    qs = selectors.agency_list(user=request.user, params=request.GET)
    return render(request, "agencies/agency_list.html", _list_context(request, qs))


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def agency_export(request):
    qs = selectors.agency_list(user=request.user, params=request.GET)
    return xlsx_response(
        f"第三方机构名录-{timezone.localdate():%Y%m%d}.xlsx",
        title="第三方技术服务机构名录",
        subtitle=f"导出日期:{timezone.localdate():%Y-%m-%d}(服务企业数、服务记录数为您管辖范围内)",
        columns=AGENCY_COLUMNS,
        rows=numbered(qs),
    )


@require_http_methods(["GET", "POST"])
@requires(perms.AGENCY_MANAGE)
def agency_edit(request, pk: int | None = None):
    agency = selectors.agency_get(user=request.user, pk=pk) if pk else None
    form = AgencyForm.for_agency(request.POST or None, agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency, _ = services.agency_save(
                actor=request.user, data=form.cleaned_data, agency=agency
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存机构“{agency.name}”")
            return redirect("agencies:detail", pk=agency.pk)
    return render(
        request,
        "agencies/form.html",
        {
            "form": form,
            "title": f"编辑 {agency.name}" if agency else "登记第三方机构",
            "back": "agencies:list",
            "agency": agency,
        },
    )


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def agency_detail(request, pk: int):
    user = request.user
    agency = selectors.agency_get(user=user, pk=pk)
    can_manage = _can_manage(user)
    return render(
        request,
        "agencies/agency_detail.html",
        {
            "agency": agency,
            "assignments": selectors.agency_assignments(user=user, agency=agency),
            "records": selectors.guidance_list(user=user, params={"agency": str(agency.pk)})[:20],
            "experts": agency.experts.all() if perms.has_perm(user, perms.EXPERT_VIEW) else [],
            "can_manage": can_manage,
            "can_record": perms.has_perm(user, perms.GUIDANCE_RECORD),
            "assign_form": AssignForm(user=user) if can_manage else None,
            "end_form": EndAssignmentForm() if can_manage else None,
            "today": timezone.localdate(),
        },
    )


@requires(perms.AGENCY_MANAGE)
def assignment_create(request, pk: int):
    agency = selectors.agency_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AssignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.assignment_create(actor=request.user, agency=agency, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"已指派为“{form.cleaned_data['enterprise'].name}”提供技术服务"
            )
            return redirect("agencies:detail", pk=agency.pk)
    messages.error(request, "未指派:" + ";".join(e for errs in form.errors.values() for e in errs))
    return redirect("agencies:detail", pk=agency.pk)


@requires(perms.AGENCY_MANAGE)
def assignment_end(request, pk: int):
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EndAssignmentForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_end(
                actor=request.user, assignment=assignment, end_on=form.cleaned_data["end_on"]
            )
        except ValidationError as exc:
            messages.error(request, ";".join(exc.messages))
        else:
            messages.success(request, "已结束该技术服务")
    else:
        messages.error(request, "请填写有效的结束日期")
    return redirect("agencies:detail", pk=assignment.agency_id)


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def guidance_list(request):
    qs = selectors.guidance_list(user=request.user, params=request.GET)
    return render(
        request,
        "agencies/guidance_list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "q": request.GET.get("q", ""),
            "agency": request.GET.get("agency", ""),
            "can_record": perms.has_perm(request.user, perms.GUIDANCE_RECORD),
            "can_see_experts": perms.has_perm(request.user, perms.EXPERT_VIEW),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.GUIDANCE_RECORD)
def guidance_create(request):
    form = GuidanceForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"enterprise": request.GET.get("enterprise", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        try:
            record = services.guidance_record(
                actor=request.user, files=request.FILES.getlist("file"), **data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已记录服务指导")
            return redirect("agencies:guidance_detail", pk=record.pk)
    return render(
        request,
        "agencies/form.html",
        {"form": form, "title": "记录服务指导", "back": "agencies:guidance", "multipart": True},
    )


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def guidance_detail(request, pk: int):
    record = selectors.guidance_get(user=request.user, pk=pk)
    return render(
        request,
        "agencies/guidance_detail.html",
        {"record": record, "files": record.files.all()},
    )


@require_GET
@requires(perms.AGENCY_VIEW, message=selectors.VIEW_DENIED)
def guidance_file(request, pk: int):
    item = selectors.guidance_file_get(user=request.user, pk=pk)
    return stored_file_response(item)


@require_GET
@requires(perms.EXPERT_VIEW, message=selectors.EXPERTS_DENIED)
def expert_list(request):
    qs = selectors.expert_list(user=request.user, params=request.GET)
    return render(request, "agencies/expert_list.html", _list_context(request, qs))


@require_GET
@requires(perms.EXPERT_VIEW, message=selectors.EXPERTS_DENIED)
def expert_export(request):
    qs = selectors.expert_list(user=request.user, params=request.GET)
    return xlsx_response(
        f"专家库-{timezone.localdate():%Y%m%d}.xlsx",
        title="安全生产标准化专家库",
        subtitle=f"导出日期:{timezone.localdate():%Y-%m-%d}(评审次数为您管辖范围内)",
        columns=EXPERT_COLUMNS,
        rows=numbered(qs),
    )


@require_GET
@requires(perms.EXPERT_VIEW, message=selectors.EXPERTS_DENIED)
def expert_detail(request, pk: int):
    expert = selectors.expert_get(user=request.user, pk=pk)
    return render(
        request,
        "agencies/expert_detail.html",
        {
            "expert": expert,
            "reviews": selectors.expert_reviews(user=request.user, expert=expert)[:50],
            "can_manage": _can_manage(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.AGENCY_MANAGE)
def expert_edit(request, pk: int | None = None):
    expert = selectors.expert_get(user=request.user, pk=pk) if pk else None
    form = ExpertForm.for_expert(request.POST or None, expert, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            expert, _ = services.expert_save(
                actor=request.user, data=form.cleaned_data, expert=expert
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存专家“{expert.name}”")
            return redirect("agencies:expert_detail", pk=expert.pk)
    return render(
        request,
        "agencies/form.html",
        {
            "form": form,
            "title": f"编辑 {expert.name}" if expert else "登记专家",
            "back": "agencies:experts",
        },
    )


@require_GET
@requires(perms.EXPERT_VIEW, message=selectors.WORKLOAD_DENIED)
def workload(request):
    data = selectors.workload(user=request.user)
    return render(request, "agencies/workload.html", data)
