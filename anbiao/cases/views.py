"""Case pages. Thin: reads through selectors, writes through services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.cases import selectors, services
from anbiao.cases.choices import AssessmentKind, CaseState, EventKind
from anbiao.cases.exports import export_table
from anbiao.cases.forms import (
    CorrectionForm,
    EvidenceForm,
    RecordEventForm,
    RectificationCloseForm,
    ReviewAssignForm,
    StandardImportForm,
)
from anbiao.cases.models import ItemScore, StandardItem
from anbiao.cases.scoring import grade_for, rules_of
from anbiao.core.excel import xlsx_response
from anbiao.core.files import stored_file_response
from anbiao.core.filtering import describe_filters
from anbiao.core.forms import apply_errors
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_id


def NOT_ALLOWED():  # noqa: N802 - reads like the constant response it is
    return HttpResponseNotAllowed(["POST"])


def _require_editor(user, assessment) -> None:
    if assessment.is_draft and not selectors.can_edit(user, assessment):
        raise PermissionDenied("您不能填写此评定")


def _error_text(exc: ValidationError) -> str:
    return ";".join(exc.messages)


@require_GET
@requires(perms.CASE_VIEW)
def case_board(request):
    filterset, qs = selectors.board(user=request.user, params=request.GET)
    tally = selectors.board_tally(filterset)
    page = paginate(request, selectors.board_rows(qs, request.GET, tally))
    today = timezone.localdate()
    for row in page:
        row.certificate = selectors.certificate_status_of_row(row, today)
    state_query = querystring_without(request, "page", "state")
    context = {
        "filterset": filterset,
        "page": page,
        "counts": [(s, s.label, tally.counts.get(s.value, 0)) for s in CaseState],
        "total": tally.total,
        "current_state": request.GET.get("state", ""),
        "state_query": state_query,
        "query": querystring_without(request, "page"),
        "sort_query": querystring_without(request, "page", "ordering"),
        "ordering": request.GET.get("ordering", ""),
        "can_export": perms.has_perm(request.user, perms.CASE_EXPORT),
        "can_manage_standards": perms.has_perm(request.user, perms.STANDARD_MANAGE),
        "reviews": selectors.my_reviews(user=request.user).select_related("case__enterprise"),
    }
    template = "cases/_board_table.html" if request.htmx else "cases/board.html"
    return render(request, template, context)


@require_GET
@requires(perms.CASE_EXPORT)
def case_export(request):
    filterset, qs = selectors.board(user=request.user, params=request.GET)
    table = export_table(qs, user=request.user, description=describe_filters(filterset))
    return xlsx_response(f"创建进度-{timezone.localdate():%Y%m%d}.xlsx", **table)


@require_GET
@requires(perms.CASE_VIEW)
def case_detail(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk)
    view = selectors.case_view(user=user, enterprise=enterprise)
    return render(
        request,
        "cases/detail.html",
        {
            "enterprise": enterprise,
            "cv": view,
            "can_manage": perms.has_perm(user, perms.CASE_MANAGE),
            "can_grade": perms.has_perm(user, perms.CASE_GRADE),
            "grading_kinds": selectors.kinds_for(user, view.allowed_kinds, grading=True),
            "can_upload": perms.has_perm(user, perms.CASE_UPLOAD),
            "self_action": selectors.self_assessment_action(user=user, case_view=view),
            "correction_form": CorrectionForm(),
            "evidence_form": EvidenceForm(),
            "close_form": RectificationCloseForm(),
        },
    )


def _certificate_data(data) -> services.CertificateData | None:
    if data.get("kind") not in services.ISSUING_KINDS:
        return None
    return services.CertificateData(
        number=data.get("number") or "",
        grade=data.get("grade") or "",
        issuer=data.get("issuer") or "",
        expires_on=data.get("expires_on"),
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_MANAGE)
def case_record(request, pk: int):
    """A station records a step (a grading decision only as 街道代录, naming its issuer)."""
    return _record_page(request, pk, grading=False)


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_GRADE)
def case_decide(request, pk: int):
    """The 定级部门 records its decisions: review results, 公示, certificates, downgrades,
    revocations and 延期."""
    return _record_page(request, pk, grading=True)


def _record_page(request, pk: int, *, grading: bool):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk, action="grade" if grading else "manage")
    view = selectors.case_view(user=user, enterprise=enterprise)
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind == EventKind.REVIEW_START and request.method == "GET" and not grading:
        return redirect("cases:assign_review", pk=enterprise.pk)
    kinds = selectors.kinds_for(user, view.allowed_kinds, grading=grading)
    kinds = kinds or [("", "当前没有可记录的事项")]
    if kind and kind not in dict(kinds):
        kinds = [*kinds, (kind, EventKind(kind).label if kind in EventKind.values else kind)]
    form = RecordEventForm(
        request.POST or None, request.FILES or None, kinds=kinds, kind=kind, proxy=not grading
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = services.case_record_event(
                actor=user,
                enterprise=enterprise,
                kind=data["kind"],
                on=data["on"],
                note=data["note"],
                grade=data.get("grade") or "",
                score=data.get("score"),
                certificate=_certificate_data(data),
                proxy_for="" if grading else data.get("proxy_for") or "",
                ends_on=data.get("ends_on"),
                outcome=data.get("outcome") or "",
            )
            if data.get("file"):
                services.evidence_add(
                    actor=user, enterprise=enterprise, upload=data["file"], event=event
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已记录“{event.get_kind_display()}”")
            return redirect("cases:detail", pk=enterprise.pk)
    return render(
        request,
        "cases/record.html",
        {"form": form, "enterprise": enterprise, "cv": view, "kind": kind, "grading": grading},
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_MANAGE)
def case_correct(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk, action="manage")
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.case_correct_last(
                actor=user, enterprise=enterprise, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(
                request, f"已撤回“{correction.reverses.get_kind_display()}”,历史中保留原记录"
            )
        return redirect("cases:detail", pk=enterprise.pk)
    view = selectors.case_view(user=user, enterprise=enterprise)
    target = next(
        (e for e in view.events if e.kind != EventKind.CORRECTION and not e.is_reversed), None
    )
    return render(
        request,
        "cases/correct.html",
        {"form": form, "enterprise": enterprise, "cv": view, "target": target},
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_SELF_ASSESS)
def self_assessment(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk, action="self_assess")
    if request.method != "POST":  # checked first, so a GET reveals nothing out of scope
        return NOT_ALLOWED()
    kind = request.POST.get("kind") or AssessmentKind.SELF
    try:
        assessment = services.assessment_start(actor=user, enterprise=enterprise, kind=kind)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("cases:detail", pk=enterprise.pk)
    return redirect("cases:assessment", pk=assessment.pk)


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_MANAGE)
def assign_review(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk, action="manage")
    form = ReviewAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_assign(actor=user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已指派评审组,评审开始")
            return redirect("cases:detail", pk=enterprise.pk)
    view = selectors.case_view(user=user, enterprise=enterprise)
    return render(
        request, "cases/assign_review.html", {"form": form, "enterprise": enterprise, "cv": view}
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_UPLOAD)
def evidence_upload(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk, action="upload")
    if request.method != "POST":
        return NOT_ALLOWED()
    form = EvidenceForm(request.POST, request.FILES)
    back = reverse("cases:detail", kwargs={"pk": enterprise.pk})
    item_score = None
    if request.POST.get("assessment") and request.POST.get("item"):
        assessment_pk = parse_id(request.POST["assessment"])
        if assessment_pk is None:
            raise Http404("评定不存在")
        assessment = selectors.assessment_get(user=user, pk=assessment_pk)
        if assessment.case.enterprise_id != enterprise.pk:
            raise Http404("评定不属于该企业")
        item = StandardItem.objects.filter(
            pk=parse_id(request.POST["item"], 0), standard=assessment.standard
        ).first()
        if item is None:
            raise Http404("评定项不存在")
        item_score, _ = ItemScore.objects.get_or_create(assessment=assessment, item=item)
        back = reverse("cases:assessment", kwargs={"pk": assessment.pk}) + f"#item-{item.pk}"
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件")
        return redirect(back)
    try:
        evidence = services.evidence_add(
            actor=user,
            enterprise=enterprise,
            upload=form.cleaned_data["file"],
            item_score=item_score,
        )
    except (ValidationError, PermissionDenied) as exc:
        text = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(request, f"已上传“{evidence.name}”")
    return redirect(back)


@require_GET
@requires(perms.CASE_VIEW)
def evidence_download(request, pk: int):
    evidence = selectors.evidence_get(user=request.user, pk=pk)
    return stored_file_response(evidence)


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_MANAGE)
def rectification_close(request, pk: int):
    user = request.user
    item = selectors.rectification_get(user=user, pk=pk)
    if request.method != "POST":
        return NOT_ALLOWED()
    form = RectificationCloseForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_close(actor=user, rectification=item, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, "整改项已销项")
    else:
        messages.error(request, "请填写销项日期和整改情况")
    return redirect("cases:detail", pk=item.case.enterprise_id)


# --- Assessments ------------------------------------------------------------------------


def _summary_context(assessment):
    result = selectors.assessment_result(assessment)
    rule = grade_for(result.score, result.veto_failed, rules_of(assessment.standard))
    return {"result": result, "rule": rule}


@require_GET
@requires(perms.CASE_VIEW)
def assessment_page(request, pk: int):
    user = request.user
    assessment = selectors.assessment_get(user=user, pk=pk)
    groups = selectors.assessment_rows(assessment)
    return render(
        request,
        "cases/assessment.html",
        {
            "assessment": assessment,
            "enterprise": assessment.case.enterprise,
            "groups": groups,
            "editable": selectors.can_edit(user, assessment),
            "is_review": assessment.kind == AssessmentKind.REVIEW,
            "missing": selectors.incomplete_items(assessment),
            "can_upload": perms.has_perm(user, perms.CASE_UPLOAD),
            **_summary_context(assessment),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_VIEW)
def assessment_item(request, pk: int):
    """htmx autosave of one item row; answers the row's status and the running score."""
    user = request.user
    assessment = selectors.assessment_get(user=user, pk=pk)
    _require_editor(user, assessment)
    if request.method != "POST":
        return NOT_ALLOWED()
    item = StandardItem.objects.filter(
        pk=parse_id(request.POST.get("item"), 0), standard=assessment.standard
    ).first()
    if item is None:
        raise Http404("评定项不存在")
    error = ""
    try:
        services.assessment_save_item(
            actor=user,
            assessment=assessment,
            item=item,
            verdict=request.POST.get("verdict", ""),
            deducted=request.POST.get("deducted") or 0,
            not_applicable=bool(request.POST.get("not_applicable")),
            veto_failed=bool(request.POST.get("veto_failed")),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        error = _error_text(exc)
    assessment.refresh_from_db()
    response = render(
        request,
        "cases/_item_saved.html",
        {
            "assessment": assessment,
            "item": item,
            "error": error,
            "saved_at": timezone.localtime(),
            **_summary_context(assessment),
        },
    )
    if error:
        response.status_code = 200  # shown in the row; htmx swaps 2xx only
    return response


@require_http_methods(["GET", "POST"])
@requires(perms.CASE_VIEW)
def assessment_submit(request, pk: int):
    user = request.user
    assessment = selectors.assessment_get(user=user, pk=pk)
    _require_editor(user, assessment)
    if request.method != "POST":
        return NOT_ALLOWED()
    try:
        assessment = services.assessment_submit(actor=user, assessment=assessment)
    except ValidationError as exc:
        messages.error(request, "不能提交:" + _error_text(exc))
        return redirect("cases:assessment", pk=assessment.pk)
    messages.success(request, f"{assessment.get_kind_display()}已提交,得分 {assessment.score}")
    return redirect("cases:detail", pk=assessment.case.enterprise_id)


@require_http_methods(["GET", "POST"])
@requires(perms.STANDARD_MANAGE)
def standards(request):
    """The grading standards loaded, and the form an admin loads an official one with."""
    form = StandardImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            standard = services.standard_import(
                actor=request.user,
                upload=form.cleaned_data["file"],
                **{k: v for k, v in form.cleaned_data.items() if k != "file"},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已载入“{standard}”,共 {standard.items.count()} 个评定项")
            return redirect(f"{reverse('cases:standards')}?loaded={standard.pk}")
    rows = list(selectors.standards_list(user=request.user))
    for row in rows:
        row.ladder = (
            "、".join(f"{g['name']}≥{g['min_score']}" for g in row.grades) or "本地等级规则"
        )
    loaded = request.GET.get("loaded", "")
    return render(
        request,
        "cases/standards.html",
        {"form": form, "standards": rows, "loaded": int(loaded) if loaded.isdigit() else None},
    )
