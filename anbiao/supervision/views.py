"""Supervision pages: figures, hazards (隐患台账), inspections (the phone form), checklists,
classes, yearly plans and the risk register. Thin: reads through selectors, writes through
services; every view declares its permission."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.cases.choices import CaseState
from anbiao.core.evidence import TYPES
from anbiao.core.forms import apply_errors, style_fields
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_id
from anbiao.enterprises.models import Enterprise
from anbiao.supervision import exports, importers, metrics, selectors, services
from anbiao.supervision.choices import (
    HazardEventKind,
    HazardState,
    InspectionStatus,
    Outcome,
    RiskColour,
    SupervisionClass,
)
from anbiao.supervision.forms import (
    ChecklistImportForm,
    FinishForm,
    HazardFilterForm,
    HazardForm,
    IncidentForm,
    InspectionStartForm,
    OverrideForm,
    PlanEntryForm,
    PlanFilterForm,
    PlanForm,
    PlanGenerateForm,
    RiskForm,
    StepForm,
    UploadForm,
)
from anbiao.supervision.models import Checklist, PlanEntry
from anbiao.supervision.reference import class_rules


def _on(request) -> date:
    today = timezone.localdate()
    try:
        return min(date.fromisoformat(request.GET.get("on", "")), today)
    except ValueError:
        return today


def _can(user, perm) -> bool:
    return perms.has_perm(user, perm)


def _download(item) -> FileResponse:
    file_type = TYPES.get(item.file_type)
    return FileResponse(
        item.file.open("rb"),
        as_attachment=file_type is None or file_type.code not in ("jpeg", "png", "pdf"),
        filename=item.name,
        content_type=file_type.content_type if file_type else "application/octet-stream",
    )


# --- overview ----------------------------------------------------------------------------------


@requires(perms.HAZARD_VIEW)
@require_GET
def home(request):
    """Supervision figures as of a date, each linking to the rows behind it."""
    on = _on(request)
    enterprises = Enterprise.objects.restrict(request.user, "view")
    figures = metrics.supervision_metrics(enterprises, on)
    drill = {
        "hazards_found",
        "hazards_closed",
        "hazards_overdue",
        "major_open",
        "inspections_done",
    }
    cards = [
        {
            "key": k,
            "label": metrics.LABELS[k],
            "value": figures[k],
            "url": metrics.drilldown_url(k, on) if k in drill else None,
        }
        for k in metrics.KEYS
    ]
    return render(
        request,
        "supervision/home.html",
        {
            "on": on,
            "cards": cards,
            "by_class": metrics.inspections_by_class(enterprises, on),
            "can_view_all": _can(request.user, perms.SUPERVISION_VIEW),
        },
    )


# --- hazards -----------------------------------------------------------------------------------


@requires(perms.HAZARD_VIEW)
@require_GET
def hazard_list(request):
    on = timezone.localdate()
    qs = selectors.hazard_list(user=request.user, params=request.GET, on=on)
    return render(
        request,
        "supervision/hazard_list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "filter_form": HazardFilterForm(request.GET or None),
            "counts": selectors.hazard_counts(qs, on),
            "today": on,
            "can_register": _can(request.user, perms.HAZARD_REVIEW),
            "can_export": _can(request.user, perms.SUPERVISION_EXPORT),
        },
    )


@requires(perms.HAZARD_VIEW, perms.SUPERVISION_EXPORT)
@require_GET
def hazard_export(request):
    on = timezone.localdate()
    qs = selectors.hazard_list(user=request.user, params=request.GET, on=on)
    return exports.hazard_ledger(qs, on=on, unit=exports.filing_unit(request.user))


@requires(perms.HAZARD_REVIEW)
@require_http_methods(["GET", "POST"])
def hazard_create(request):
    form = HazardForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hazard = services.hazard_register(
                actor=request.user,
                enterprise=data["enterprise"],
                level=data["level"],
                description=data["description"],
                location=data["location"],
                legal_basis=data["legal_basis"],
                found_on=data["found_on"],
                deadline=data["deadline"],
                responsible=data["responsible"],
                measures=data["measures"],
                funds=data["funds"],
                contingency=data["contingency"],
                files=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            apply_errors(form, exc, fallback="photos")
        else:
            messages.success(request, f"已登记{hazard.get_level_display()}")
            return redirect("supervision:hazard", pk=hazard.pk)
    return render(
        request, "supervision/form.html", {"form": form, "title": "登记隐患", "multipart": True}
    )


STEP_LABELS = {
    HazardEventKind.START: ("开始整改", "btn-primary", perms.HAZARD_RECTIFY),
    HazardEventKind.REQUEST_REVIEW: ("申请复查", "btn-primary", perms.HAZARD_RECTIFY),
    HazardEventKind.PASS: ("复查通过(销号)", "btn-success", perms.HAZARD_REVIEW),
    HazardEventKind.FAIL: ("复查不通过", "btn-danger", perms.HAZARD_REVIEW),
}


def _step_buttons(user, hazard):
    return [
        {"kind": kind, "label": label, "css": css}
        for kind, (label, css, perm) in STEP_LABELS.items()
        if hazard.state in services.TRANSITIONS[kind].sources and _can(user, perm)
    ]


@requires(perms.HAZARD_VIEW)
@require_GET
def hazard_detail(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    return _hazard_page(request, hazard, StepForm(initial={"on": timezone.localdate()}))


def _hazard_page(request, hazard, step_form, status=200):
    return render(
        request,
        "supervision/hazard_detail.html",
        {
            "h": hazard,
            "events": selectors.hazard_events(hazard),
            "steps": _step_buttons(request.user, hazard),
            "step_form": step_form,
            "can_rectify": _can(request.user, perms.HAZARD_RECTIFY)
            and hazard.state != HazardState.CLOSED,
            "missing": hazard.missing_plan() if hazard.is_major else [],
            "can_dispatch": _can(request.user, perms.DISPATCH_ISSUE)
            and hazard.state != HazardState.CLOSED,
            "today": timezone.localdate(),
        },
        status=status,
    )


@requires(perms.HAZARD_RECTIFY)
def hazard_step(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    form = StepForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = services.hazard_transition(
                actor=request.user,
                hazard=hazard,
                kind=data["kind"],
                on=data["on"],
                note=data["note"],
                files=request.FILES.getlist("file"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已记录:{event.get_kind_display()}")
            return redirect("supervision:hazard", pk=hazard.pk)
    hazard.refresh_from_db()
    return _hazard_page(request, hazard, form)


@requires(perms.HAZARD_RECTIFY)
@require_http_methods(["GET", "POST"])
def hazard_plan(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    initial = {f: getattr(hazard, f) for f in services.PLAN_FIELDS}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.hazard_update_plan(actor=request.user, hazard=hazard, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存整改方案")
            return redirect("supervision:hazard", pk=hazard.pk)
    title = "填报“五落实”整改方案" if hazard.is_major else "填报整改方案"
    return render(
        request, "supervision/form.html", {"form": form, "title": title, "hazard": hazard}
    )


@requires(perms.HAZARD_RECTIFY)
def hazard_evidence(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    try:
        services.hazard_add_evidence(
            actor=request.user,
            hazard=hazard,
            files=request.FILES.getlist("file"),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, "已上传整改材料")
    return redirect("supervision:hazard", pk=hazard.pk)


@requires(perms.HAZARD_VIEW)
@require_GET
def hazard_file(request, pk: int):
    return _download(selectors.hazard_file_get(user=request.user, pk=pk))


# --- inspections -------------------------------------------------------------------------------


@requires(perms.INSPECTION_VIEW)
@require_GET
def inspection_list(request):
    qs = selectors.inspection_list(user=request.user, params=request.GET)
    return render(
        request,
        "supervision/inspection_list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "status": request.GET.get("status", ""),
            "q": request.GET.get("q", ""),
            "statuses": InspectionStatus.choices,
            "can_record": _can(request.user, perms.INSPECTION_RECORD),
        },
    )


@requires(perms.INSPECTION_RECORD)
@require_http_methods(["GET", "POST"])
def inspection_create(request):
    enterprise = None
    enterprise_id = parse_id(request.POST.get("enterprise") or request.GET.get("enterprise"))
    if enterprise_id is not None:
        enterprise = (
            Enterprise.objects.restrict(request.user, "view").filter(pk=enterprise_id).first()
        )
    checklists = (
        selectors.checklists_for(enterprise)
        if enterprise
        else list(Checklist.objects.order_by("code", "-version"))
    )
    initial = {"enterprise": enterprise.pk} if enterprise else {}
    form = InspectionStartForm(
        request.POST or None, user=request.user, checklists=checklists, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = services.inspection_start(
                actor=request.user,
                enterprise=data["enterprise"],
                checklist=Checklist.objects.get(pk=data["checklist"]),
                inspected_on=data["inspected_on"],
                inspectors=data["inspectors"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("supervision:inspection", pk=inspection.pk)
    return render(request, "supervision/form.html", {"form": form, "title": "开始现场检查"})


@requires(perms.INSPECTION_VIEW)
@require_GET
def inspection_detail(request, pk: int):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    editing = inspection.status == InspectionStatus.DRAFT and _can(
        request.user, perms.INSPECTION_RECORD
    )
    return _inspection_page(request, inspection, editing, FinishForm())


def _inspection_page(request, inspection, editing, finish_form, status=200):
    return render(
        request,
        "supervision/inspection_form.html" if editing else "supervision/inspection_detail.html",
        {
            "i": inspection,
            "sections": selectors.inspection_rows(inspection),
            "outcomes": Outcome.choices,
            "finish_form": finish_form,
            "hazards": inspection.hazards.order_by("id"),
        },
        status=status,
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _item_of(inspection, value):
    item = inspection.checklist.items.filter(pk=parse_id(value, 0)).first()
    if item is None:
        raise Http404("检查项不存在")
    return item


@requires(perms.INSPECTION_RECORD)
def inspection_item(request, pk: int):
    """Autosave of one item (fetch from the phone form; a plain form post works too)."""
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    item = _item_of(inspection, request.POST.get("item"))
    try:
        result = services.inspection_save_result(
            actor=request.user,
            inspection=inspection,
            item=item,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            location=request.POST.get("location", ""),
            level=request.POST.get("level", ""),
        )
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": ";".join(exc.messages)}, status=400)
        messages.error(request, ";".join(exc.messages))
        return redirect("supervision:inspection", pk=pk)
    if _wants_json(request):
        saved = timezone.localtime(result.saved_at).strftime("%H:%M:%S")
        return JsonResponse({"ok": True, "item": item.pk, "saved": saved})
    return redirect("supervision:inspection", pk=pk)


@requires(perms.INSPECTION_RECORD)
def inspection_photo(request, pk: int):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    item = _item_of(inspection, request.POST.get("item")) if request.POST.get("item") else None
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": "请选择照片"})
        photo = services.inspection_add_photo(
            actor=request.user,
            inspection=inspection,
            upload=upload,
            item=item,
            client_key=request.POST.get("key", ""),
        )
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": ";".join(exc.messages)}, status=400)
        messages.error(request, ";".join(exc.messages))
        return redirect("supervision:inspection", pk=pk)
    if _wants_json(request):
        url = reverse("supervision:photo", kwargs={"pk": photo.pk})
        return JsonResponse({"ok": True, "id": photo.pk, "url": url, "item": photo.item_id})
    return redirect("supervision:inspection", pk=pk)


@requires(perms.INSPECTION_RECORD)
def inspection_finish(request, pk: int):
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    form = FinishForm(request.POST)
    if form.is_valid():
        try:
            hazards = services.inspection_finish(
                actor=request.user, inspection=inspection, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"检查已完成,发现隐患 {len(hazards)} 项")
            return redirect("supervision:inspection", pk=pk)
    inspection.refresh_from_db()
    editing = inspection.status == InspectionStatus.DRAFT
    return _inspection_page(request, inspection, editing, form)


@requires(perms.INSPECTION_VIEW)
@require_GET
def inspection_print(request, pk: int):
    """检查记录 on one A4 page, laid out to be printed and signed."""
    inspection = selectors.inspection_get(user=request.user, pk=pk)
    return render(
        request,
        "supervision/inspection_print.html",
        {
            "i": inspection,
            "sections": selectors.inspection_rows(inspection),
            "hazards": inspection.hazards.order_by("id"),
            "major_count": inspection.hazards.filter(level="major").count(),
            "unit": exports.filing_unit(request.user),
        },
    )


@requires(perms.INSPECTION_VIEW)
@require_GET
def photo_file(request, pk: int):
    return _download(selectors.inspection_photo_get(user=request.user, pk=pk))


# --- checklists --------------------------------------------------------------------------------


@requires(perms.INSPECTION_VIEW)
@require_GET
def checklist_list(request):
    return render(
        request,
        "supervision/checklist_list.html",
        {
            "checklists": Checklist.objects.order_by("code", "-version").prefetch_related("items"),
            "can_import": _can(request.user, perms.INSPECTION_RECORD),
        },
    )


@requires(perms.INSPECTION_VIEW)
@require_GET
def checklist_detail(request, pk: int):
    checklist = Checklist.objects.filter(pk=pk).first()
    if checklist is None:
        raise Http404("检查表不存在")
    return render(
        request,
        "supervision/checklist_detail.html",
        {"c": checklist, "items": checklist.items.all()},
    )


@requires(perms.INSPECTION_RECORD)
@require_http_methods(["GET", "POST"])
def checklist_import(request):
    form = ChecklistImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tags = [t.strip() for t in data["risk_tags"].replace(",", ",").split(",") if t.strip()]
        try:
            parsed = importers.read_checklist(
                data["file"],
                code=data["code"],
                version=data["version"],
                name=data["name"],
                risk_tags=tags,
            )
            result = services.checklist_import(
                actor=request.user, data=parsed, source=data["file"].name
            )
        except ValidationError as exc:
            apply_errors(form, exc, fallback="file")
        else:
            messages.success(request, f"已导入检查表:{result.checklist}")
            return redirect("supervision:checklist", pk=result.checklist.pk)
    return render(
        request,
        "supervision/form.html",
        {
            "form": form,
            "title": "从Excel导入检查表",
            "multipart": True,
            "help": "表格第一行为表头:检查类别、编号、检查内容、依据、重大隐患(是/否)。",
        },
    )


# --- classes -----------------------------------------------------------------------------------


@requires(perms.SUPERVISION_VIEW)
@require_GET
def class_list(request):
    on = _on(request)
    rows = selectors.class_rows(user=request.user, params=request.GET, on=on)
    rules = class_rules()
    counts = {k: 0 for k in SupervisionClass.values}
    for row in rows:
        counts[row["verdict"].klass] += 1
    return render(
        request,
        "supervision/class_list.html",
        {
            "page": paginate(request, rows),
            "query": querystring_without(request, "page"),
            "on": on,
            "classes": [
                (
                    k,
                    rules.classes[k]["name"],
                    rules.frequency(k),
                    rules.classes[k].get("description", ""),
                    counts[k],
                )
                for k in SupervisionClass.values
            ],
            "klass": request.GET.get("klass", ""),
            "q": request.GET.get("q", ""),
            "can_manage": _can(request.user, perms.SUPERVISION_MANAGE),
        },
    )


@requires(perms.SUPERVISION_VIEW, perms.SUPERVISION_EXPORT)
@require_GET
def class_export(request):
    on = _on(request)
    rows = selectors.class_rows(user=request.user, params=request.GET, on=on)
    return exports.class_table(rows, on=on)


@requires(perms.SUPERVISION_MANAGE)
@require_POST
def class_refresh(request):
    enterprises = Enterprise.objects.restrict(request.user, "view").filter(status="operating")
    changed = services.classes_refresh(actor=request.user, enterprises=enterprises)
    messages.success(request, f"已按规则重新评定,{changed} 家企业的监管类别有变化")
    return redirect("supervision:classes")


def _enterprise(request, pk):
    enterprise = Enterprise.objects.restrict(request.user, "view").filter(pk=pk).first()
    if enterprise is None:
        raise Http404("企业不存在或不在您的管辖范围内")
    return enterprise


@requires(perms.SUPERVISION_VIEW)
@require_GET
def class_detail(request, pk: int):
    return _class_page(request, _enterprise(request, pk))


def _class_page(request, enterprise, override_form=None, incident_form=None):
    from anbiao.supervision.classes import classes_on, evaluate, facts_on

    today = timezone.localdate()
    facts = facts_on([enterprise.pk], today)[enterprise.pk]
    return render(
        request,
        "supervision/class_detail.html",
        {
            "e": enterprise,
            "current": classes_on([enterprise.pk], today)[enterprise.pk],
            "by_rules": evaluate(facts),
            "facts": facts,
            "case_state": CaseState(facts.case_state).label,
            "history": selectors.class_history(user=request.user, enterprise=enterprise),
            "incidents": enterprise.incidents.all(),
            "override_form": override_form or OverrideForm(initial={"on": today}),
            "incident_form": incident_form or IncidentForm(initial={"occurred_on": today}),
            "can_manage": _can(request.user, perms.SUPERVISION_MANAGE),
        },
    )


@requires(perms.SUPERVISION_MANAGE)
def class_override(request, pk: int):
    enterprise = _enterprise(request, pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            record = services.class_override(
                actor=request.user, enterprise=enterprise, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"监管类别已调整为{record.get_klass_display()}")
            return redirect("supervision:class", pk=pk)
    return _class_page(request, enterprise, override_form=form)


@requires(perms.SUPERVISION_MANAGE)
def incident_create(request, pk: int):
    enterprise = _enterprise(request, pk)
    if request.method != "POST":  # after the lookup: out of scope is a 404 first
        return HttpResponseNotAllowed(["POST"])
    form = IncidentForm(request.POST)
    if form.is_valid():
        try:
            services.incident_record(actor=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已登记事故")
            return redirect("supervision:class", pk=pk)
    return _class_page(request, enterprise, incident_form=form)


# --- plans -------------------------------------------------------------------------------------


@requires(perms.SUPERVISION_VIEW)
@require_GET
def plan_list(request):
    can_manage = _can(request.user, perms.SUPERVISION_MANAGE)
    return render(
        request,
        "supervision/plan_list.html",
        {
            "plans": selectors.plan_list(user=request.user),
            "form": PlanGenerateForm(user=request.user) if can_manage else None,
        },
    )


@requires(perms.SUPERVISION_MANAGE)
@require_POST
def plan_create(request):
    form = PlanGenerateForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            plan = services.plan_generate(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已生成{plan}")
            return redirect("supervision:plan", pk=plan.pk)
    return render(
        request,
        "supervision/plan_list.html",
        {"plans": selectors.plan_list(user=request.user), "form": form},
    )


@requires(perms.SUPERVISION_VIEW)
@require_GET
def plan_detail(request, pk: int):
    plan = selectors.plan_get(user=request.user, pk=pk)
    on = min(timezone.localdate(), date(plan.year, 12, 31))
    all_rows = selectors.plan_rows(user=request.user, plan=plan, on=on)
    rows = selectors.plan_rows(user=request.user, plan=plan, on=on, params=request.GET)
    return render(
        request,
        "supervision/plan_detail.html",
        {
            "plan": plan,
            "page": paginate(request, rows),
            "query": querystring_without(request, "page"),
            "summary": selectors.plan_summary(all_rows),
            "filter_form": PlanFilterForm(request.GET or None),
            "on": on,
            "can_manage": _can(request.user, perms.SUPERVISION_MANAGE),
        },
    )


@requires(perms.SUPERVISION_VIEW, perms.SUPERVISION_EXPORT)
@require_GET
def plan_export(request, pk: int):
    plan = selectors.plan_get(user=request.user, pk=pk)
    on = min(timezone.localdate(), date(plan.year, 12, 31))
    rows = selectors.plan_rows(user=request.user, plan=plan, on=on, params=request.GET)
    return exports.plan_table(plan, rows, on=on, unit=exports.filing_unit(request.user))


@requires(perms.SUPERVISION_MANAGE)
@require_http_methods(["GET", "POST"])
def plan_entry_edit(request, pk: int):
    entry = (
        PlanEntry.objects.restrict(request.user, "view")
        .select_related("plan", "enterprise")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404("计划不存在或不在您的管辖范围内")
    form = PlanEntryForm(
        request.POST or None, initial={"month": entry.month, "inspector": entry.inspector}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_entry_update(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已调整计划")
            return redirect("supervision:plan", pk=entry.plan_id)
    return render(
        request,
        "supervision/form.html",
        {"form": form, "title": f"调整计划检查:{entry.enterprise.name}"},
    )


# --- risk register -----------------------------------------------------------------------------


@requires(perms.RISK_VIEW)
@require_GET
def risk_list(request):
    qs = selectors.risk_list(user=request.user, params=request.GET)
    by = "region" if _can(request.user, perms.SUPERVISION_VIEW) else "enterprise"
    return render(
        request,
        "supervision/risk_list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "colours": RiskColour.choices,
            "colour": request.GET.get("colour", ""),
            "q": request.GET.get("q", ""),
            "by_enterprise": selectors.four_colour(qs, "enterprise"),
            "by_region": selectors.four_colour(qs, "region") if by == "region" else [],
            "can_manage": _can(request.user, perms.RISK_MANAGE),
            "can_export": _can(request.user, perms.SUPERVISION_EXPORT),
        },
    )


@requires(perms.RISK_VIEW, perms.SUPERVISION_EXPORT)
@require_GET
def risk_export(request):
    return exports.risk_table(selectors.risk_list(user=request.user, params=request.GET))


@requires(perms.RISK_MANAGE)
@require_http_methods(["GET", "POST"])
def risk_edit(request, pk: int | None = None):
    point = selectors.risk_get(user=request.user, pk=pk) if pk else None
    initial = {"enterprise": point.enterprise_id} if point else {}
    if point:
        initial |= {f: getattr(point, f) for f in services.RISK_FIELDS}
    elif request.user.enterprise_id:
        initial["enterprise"] = request.user.enterprise_id
    form = RiskForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.risk_point_save(
                actor=request.user, enterprise=data.pop("enterprise"), data=data, point=point
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存风险点")
            return redirect("supervision:risks")
    return render(
        request,
        "supervision/form.html",
        {"form": form, "title": "编辑风险点" if point else "新增风险点"},
    )


@requires(perms.RISK_MANAGE)
@require_http_methods(["GET", "POST"])
def risk_import(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    from anbiao.supervision.forms import _enterprise_field

    form.fields["enterprise"] = _enterprise_field(request.user)
    form.order_fields(["enterprise", "file"])
    style_fields(form)
    if request.user.enterprise_id:
        form.initial["enterprise"] = request.user.enterprise_id
    if request.method == "POST" and form.is_valid():
        try:
            rows = importers.read_risk_points(form.cleaned_data["file"])
            count = services.risk_points_import(
                actor=request.user, enterprise=form.cleaned_data["enterprise"], rows=rows
            )
        except ValidationError as exc:
            apply_errors(form, exc, fallback="file")
        else:
            messages.success(request, f"已导入风险点 {count} 个")
            return redirect("supervision:risks")
    return render(
        request,
        "supervision/form.html",
        {
            "form": form,
            "title": "从Excel导入风险点",
            "multipart": True,
            "help": "表头:风险点、部位、风险等级(红/橙/黄/蓝)、主要危险因素、管控措施、"
            "管控责任人、下次评估日期。任何一行有错则整表不导入。",
        },
    )
