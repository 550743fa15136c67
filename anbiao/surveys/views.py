"""Survey round pages: list, open a round, record findings, add new enterprises, close, report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require, requires
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.forms import apply_errors
from anbiao.core.imports.jobs import import_job_create
from anbiao.core.imports.views import UploadForm
from anbiao.core.models import ImportJob
from anbiao.core.pagination import paginate, querystring_without
from anbiao.surveys import services
from anbiao.surveys.forms import CloseForm, FindingForm, NewFindingForm, RoundForm
from anbiao.surveys.importers import EXPORT_COLUMNS, export_rows
from anbiao.surveys.models import SurveyFinding, SurveyRound

VIEW_DENIED = "您没有查看摸排的权限"


def _round(user, pk: int) -> SurveyRound:
    require(user, perms.SURVEY_VIEW, message=VIEW_DENIED)
    survey_round = (
        SurveyRound.objects.restrict(user, "view").filter(pk=pk).select_related("region").first()
    )
    if survey_round is None:
        raise Http404("摸排轮次不存在或不在您的管辖范围内")
    return survey_round


def _finding(user, round_pk: int, pk: int) -> SurveyFinding:
    survey_round = _round(user, round_pk)
    finding = survey_round.findings.filter(pk=pk).select_related("enterprise", "round").first()
    if finding is None:
        raise Http404("摸排记录不存在")
    return finding


def _can_change(user) -> bool:
    return perms.has_perm(user, perms.SURVEY_CHANGE)


@require_GET
@requires(perms.SURVEY_VIEW, message=VIEW_DENIED)
def round_list(request):
    rounds = (
        SurveyRound.objects.restrict(request.user, "view")
        .select_related("region")
        .annotate(
            total=Count("findings"), done=Count("findings", filter=Q(findings__recorded=True))
        )
    ).order_by("-period_start", "-id")
    return render(
        request,
        "surveys/round_list.html",
        {
            "page": paginate(request, rounds),
            "query": querystring_without(request, "page"),
            "can_change": _can_change(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.SURVEY_CHANGE, message="您没有组织摸排的权限")
def round_create(request):
    form = RoundForm(request.POST or None, user=request.user)
    overlap = False
    if request.method == "POST" and form.is_valid():
        try:
            survey_round = services.survey_round_create(actor=request.user, **form.cleaned_data)
        except services.OverlappingRound as exc:
            overlap = True
            form.add_error("allow_overlap", exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"已开始“{survey_round.name}”,列入 {survey_round.findings.count()} 家企业"
            )
            return redirect("surveys:detail", pk=survey_round.pk)
    # Warn before anyone fills the form: a round still 进行中 in the user's area.
    open_rounds = SurveyRound.objects.restrict(request.user, "view").filter(
        status=SurveyRound.Status.OPEN
    )
    return render(
        request,
        "surveys/round_form.html",
        {
            "form": form,
            "overlap": overlap,
            "open_rounds": list(open_rounds.select_related("region")),
        },
    )


@require_GET
@requires(perms.SURVEY_VIEW, message=VIEW_DENIED)
def round_detail(request, pk: int):
    survey_round = _round(request.user, pk)
    findings = survey_round.findings.select_related(
        "enterprise", "enterprise__region", "new_region"
    )
    show = request.GET.get("show", "")
    if show == "todo":
        findings = findings.filter(recorded=False)
    elif show == "done":
        findings = findings.filter(recorded=True)
    elif show == "new":
        findings = findings.filter(enterprise__isnull=True)
    q = request.GET.get("q", "").strip()
    if q:
        findings = findings.filter(
            Q(enterprise__name__icontains=q)
            | Q(new_name__icontains=q)
            | Q(enterprise__uscc__icontains=q.upper())
            | Q(enterprise__name_initials__contains=q.lower())
        )
    counts = survey_round.findings.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(recorded=True)),
        new=Count("id", filter=Q(enterprise__isnull=True)),
    )
    if not survey_round.is_open:
        counts["new"] = sum(1 for line in survey_round.report if line["category"] == "new")
    return render(
        request,
        "surveys/round_detail.html",
        {
            "round": survey_round,
            "page": paginate(request, findings.order_by("id")),
            "query": querystring_without(request, "page"),
            "show": show,
            "q": q,
            "counts": counts,
            "can_change": _can_change(request.user) and survey_round.is_open,
            "close_form": CloseForm(),
            "upload_form": UploadForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.SURVEY_CHANGE, message="您没有录入摸排结果的权限")
def finding_edit(request, round_pk: int, pk: int):
    finding = _finding(request.user, round_pk, pk)
    initial = {}
    if not finding.recorded and finding.enterprise_id:
        e = finding.enterprise
        initial = {
            "status": e.status,
            "size": e.size,
            "employees": e.employees,
            "eligible": e.eligible,
            "eligibility_reason": e.eligibility_reason,
        }
    form = FindingForm(request.POST or None, instance=finding, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_finding_record(
                actor=request.user, finding=finding, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已记录“{finding.display_name}”的摸排结果")
            return redirect(f"{finding.round.get_absolute_url()}?show=todo")
    return render(
        request,
        "surveys/finding_form.html",
        {"form": form, "finding": finding, "round": finding.round},
    )


@require_http_methods(["GET", "POST"])
@requires(perms.SURVEY_CHANGE, message="您没有录入摸排结果的权限")
def finding_add(request, pk: int):
    survey_round = _round(request.user, pk)
    form = NewFindingForm(request.POST or None, survey_round=survey_round)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_finding_add_new(
                actor=request.user, survey_round=survey_round, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已添加新发现的企业,结束本轮时纳入台账")
            return redirect("surveys:detail", pk=survey_round.pk)
    return render(
        request, "surveys/finding_form.html", {"form": form, "round": survey_round, "finding": None}
    )


@requires(perms.SURVEY_CHANGE, message="您没有结束摸排的权限")
def round_close(request, pk: int):
    survey_round = _round(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的结束日期")
        return redirect("surveys:detail", pk=pk)
    try:
        report = services.survey_round_close(
            actor=request.user, survey_round=survey_round, on=form.cleaned_data["on"]
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return redirect("surveys:detail", pk=pk)
    messages.success(request, f"本轮摸排已结束,台账变化 {len(report)} 项")
    return redirect("surveys:report", pk=pk)


@require_GET
@requires(perms.SURVEY_VIEW, message=VIEW_DENIED)
def round_report(request, pk: int):
    survey_round = _round(request.user, pk)
    lines = survey_round.report
    summary = {
        label: sum(1 for line in lines if line["label"] == label)
        for label in services.REPORT_CATEGORIES.values()
    }
    return render(
        request, "surveys/report.html", {"round": survey_round, "lines": lines, "summary": summary}
    )


@require_GET
@requires(perms.SURVEY_VIEW, message=VIEW_DENIED)
def round_report_export(request, pk: int):
    survey_round = _round(request.user, pk)
    columns = [
        Column("序号", lambda x: x[0], 6),
        Column("变化类型", lambda x: x[1]["label"], 10),
        Column("企业名称", lambda x: x[1]["name"], 30),
        Column("统一社会信用代码", lambda x: x[1]["uscc"], 22),
        Column("变化内容", lambda x: x[1]["detail"], 40),
    ]
    return xlsx_response(
        f"{survey_round.name}-台账变化报告.xlsx",
        title=f"{survey_round.name}台账变化报告",
        subtitle=f"摸排区域:{survey_round.region.name}  生效日期:"
        f"{survey_round.closed_on or '未结束'}",
        columns=columns,
        rows=enumerate(survey_round.report, start=1),
    )


@require_GET
@requires(perms.SURVEY_VIEW, message=VIEW_DENIED)
def round_workbook(request, pk: int):
    survey_round = _round(request.user, pk)
    return xlsx_response(
        f"{survey_round.name}-摸排表.xlsx",
        title=f"{survey_round.name}摸排表",
        subtitle=f"摸排区域:{survey_round.region.name}  期间:"
        f"{survey_round.period_start}至{survey_round.period_end}  "
        "请填写“摸排:”各列后在系统中导入;表中没有的企业可另起一行填写",
        columns=EXPORT_COLUMNS,
        rows=export_rows(survey_round),
    )


@requires(perms.SURVEY_CHANGE, message="您没有录入摸排结果的权限")
def round_import(request, pk: int):
    survey_round = _round(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要导入的摸排表文件")
        return redirect("surveys:detail", pk=pk)
    try:
        job = import_job_create(
            actor=request.user,
            kind=ImportJob.Kind.SURVEY,
            upload=form.cleaned_data["file"],
            skip_invalid=form.cleaned_data["skip_invalid"],
            target_id=survey_round.pk,
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return redirect("surveys:detail", pk=pk)
    return redirect("imports:detail", pk=job.pk)
