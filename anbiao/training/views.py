"""Training pages: sessions, attendance (by hand or from a sign-in sheet), materials, and the
coverage of the 应创企业. Thin: reads through selectors, writes through services."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.files import stored_file_response
from anbiao.core.forms import apply_errors
from anbiao.core.imports.jobs import import_job_create
from anbiao.core.imports.views import UploadForm
from anbiao.core.models import ImportJob
from anbiao.core.pagination import paginate, querystring_without
from anbiao.enterprises.ledger import baseline_for, eligible
from anbiao.enterprises.models import Enterprise
from anbiao.training import selectors, services
from anbiao.training.forms import AttendeeForm, CoverageForm, SessionFilterForm, SessionForm
from anbiao.training.models import Session, TraineeRole


def _can_manage(user) -> bool:
    return perms.has_perm(user, perms.TRAINING_MANAGE)


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def session_list(request):
    user = request.user
    qs = selectors.session_list(user=user, params=request.GET)
    return render(
        request,
        "training/list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "filter_form": SessionFilterForm(request.GET or None),
            "roles": selectors.role_counts(qs),
            "can_manage": _can_manage(user),
        },
    )


SESSION_COLUMNS = [
    Column("序号", lambda s: s.serial, 5),
    Column("日期", lambda s: s.held_on, 11),
    Column("主题", lambda s: s.topic, 32),
    Column("形式", lambda s: s.get_kind_display(), 7),
    Column("学时", lambda s: s.hours, 5),
    Column("组织区域", lambda s: s.region.name, 10),
    Column("组织单位", lambda s: s.organiser, 16),
    Column("授课人", lambda s: s.trainer, 12),
    Column("地点", lambda s: s.place, 18),
    Column("参训人次", lambda s: s.people, 7),
    Column("参训企业数", lambda s: s.enterprises, 7),
    Column("培训材料", lambda s: s.materials, 24),
]


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def session_export(request):
    qs = selectors.session_list(user=request.user, params=request.GET)

    def rows():
        for serial, session in enumerate(qs, start=1):
            session.serial = serial
            yield session

    return xlsx_response(
        f"培训台账-{timezone.localdate():%Y%m%d}.xlsx",
        title="安全生产标准化培训台账",
        subtitle=f"导出日期:{timezone.localdate():%Y-%m-%d}",
        columns=SESSION_COLUMNS,
        rows=rows(),
    )


@require_http_methods(["GET", "POST"])
@requires(perms.TRAINING_MANAGE)
def session_create(request):
    form = SessionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        try:
            session = services.session_create(
                actor=request.user, data=data, files=request.FILES.getlist("file")
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已登记培训,请录入或导入签到名单")
            return redirect("training:detail", pk=session.pk)
    return render(request, "training/form.html", {"form": form, "title": "登记培训"})


@require_http_methods(["GET", "POST"])
@requires(perms.TRAINING_MANAGE)
def session_edit(request, pk: int):
    session = selectors.session_get(user=request.user, pk=pk)
    form = SessionForm(
        request.POST or None, request.FILES or None, instance=session, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        try:
            services.session_update(
                actor=request.user,
                session=selectors.session_get(user=request.user, pk=pk),
                data=data,
                files=request.FILES.getlist("file"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("training:detail", pk=pk)
    return render(
        request, "training/form.html", {"form": form, "title": "编辑培训", "session": session}
    )


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def session_detail(request, pk: int):
    user = request.user
    session = selectors.session_get(user=user, pk=pk)
    attendances = session.attendances.select_related("enterprise").order_by("role", "id")
    role = request.GET.get("role", "")
    if role in TraineeRole.values:
        attendances = attendances.filter(role=role)
    can_manage = _can_manage(user)
    return render(
        request,
        "training/detail.html",
        {
            "session": session,
            "page": paginate(request, attendances, per_page=50),
            "query": querystring_without(request, "page"),
            "role": role,
            "roles": selectors.role_counts(Session.objects.filter(pk=session.pk)),
            "files": session.files.all(),
            "can_manage": can_manage,
            "attendee_form": AttendeeForm(user=user, session=session) if can_manage else None,
            "upload_form": UploadForm() if can_manage else None,
        },
    )


@requires(perms.TRAINING_MANAGE)
def attendee_add(request, pk: int):
    session = selectors.session_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AttendeeForm(request.POST, user=request.user, session=session)
    if form.is_valid():
        try:
            attendance = services.attendance_add(
                actor=request.user, session=session, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已添加“{attendance.name}”")
            return redirect("training:detail", pk=session.pk)
    errors = [
        f"{form.fields[f].label if f in form.fields else ''}:{';'.join(e)}"
        for f, e in form.errors.items()
    ]
    messages.error(request, "未添加:" + ";".join(errors))
    return redirect("training:detail", pk=session.pk)


@requires(perms.TRAINING_MANAGE)
def attendee_remove(request, pk: int):
    attendance = selectors.attendance_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.attendance_remove(actor=request.user, attendance=attendance)
    messages.info(request, f"已将“{attendance.name}”移出签到名单")
    return redirect("training:detail", pk=attendance.session_id)


@requires(perms.TRAINING_MANAGE)
def sign_in_import(request, pk: int):
    session = selectors.session_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要导入的签到表文件")
        return redirect("training:detail", pk=pk)
    try:
        job = import_job_create(
            actor=request.user,
            kind=ImportJob.Kind.TRAINING,
            upload=form.cleaned_data["file"],
            skip_invalid=form.cleaned_data["skip_invalid"],
            target_id=session.pk,
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return redirect("training:detail", pk=pk)
    return redirect("imports:detail", pk=job.pk)


SIGN_IN_COLUMNS = [
    Column("序号", lambda a: a.serial, 5),
    Column("姓名", lambda a: a.name, 10),
    Column("岗位类别", lambda a: a.get_role_display(), 14),
    Column("所在企业", lambda a: a.enterprise.name if a.enterprise_id else "", 28),
    Column("统一社会信用代码", lambda a: a.enterprise.uscc if a.enterprise_id else "", 21),
    Column("工作单位", lambda a: a.unit, 20),
    Column("职务", lambda a: a.position, 10),
    Column("联系电话", lambda a: a.phone, 13),
]


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def sign_in_export(request, pk: int):
    session = selectors.session_get(user=request.user, pk=pk)
    qs = session.attendances.select_related("enterprise").order_by("role", "id")

    def rows():
        for serial, attendance in enumerate(qs, start=1):
            attendance.serial = serial
            yield attendance

    return xlsx_response(
        f"签到表-{session.held_on:%Y%m%d}.xlsx",
        title=f"{session.topic} 签到表",
        subtitle=f"{session.get_kind_display()} · {session.held_on:%Y-%m-%d} · "
        f"{session.place or ''} · 组织单位:{session.organiser}",
        columns=SIGN_IN_COLUMNS,
        rows=rows(),
    )


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def file_download(request, pk: int):
    item = selectors.session_file_get(user=request.user, pk=pk)
    return stored_file_response(item)


def default_start() -> date:
    """Coverage counts sessions from 1 January of the ledger's baseline year by default."""
    return date(baseline_for(None).year, 1, 1)


def _coverage(request):
    form = CoverageForm(request.GET, default_start=default_start())
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start, end = default_start(), timezone.localdate()
    ledger = eligible(Enterprise.objects.restrict(request.user, "view"), end)
    annotated = selectors.annotate_coverage(ledger, start, end)
    rows = selectors.coverage_rows(annotated, form.cleaned_data if form.is_valid() else {})
    return form, start, end, annotated, rows


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def coverage(request):
    form, start, end, annotated, rows = _coverage(request)
    sessions = selectors.session_list(
        user=request.user, params={"start": start.isoformat(), "end": end.isoformat()}
    )
    return render(
        request,
        "training/coverage.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "summary": selectors.coverage_summary(annotated),
            "states": selectors.COVERAGE_STATES,
            "page": paginate(request, rows),
            "query": querystring_without(request, "page"),
            "filter_query": querystring_without(request, "page", "state"),
            "roles": selectors.role_counts(sessions),
        },
    )


def _state_label(e) -> str:
    if e.principal_on and e.manager_on:
        return "已覆盖"
    if e.principal_on:
        return "仅主要负责人"
    if e.manager_on:
        return "仅安全生产管理员"
    return "仅其他人员" if e.reached else "从未参训"


COVERAGE_COLUMNS = [
    Column("序号", lambda e: e.serial, 5),
    Column("企业名称", lambda e: e.name, 28),
    Column("统一社会信用代码", lambda e: e.uscc, 21),
    Column("所属区域", lambda e: e.region.name, 10),
    Column("主要负责人", lambda e: e.principal_name, 8),
    Column("主要负责人最近参训", lambda e: e.principal_on, 12),
    Column("安全管理人员", lambda e: e.safety_manager_name, 8),
    Column("安全管理人员最近参训", lambda e: e.manager_on, 12),
    Column("覆盖情况", _state_label, 12),
]


@require_GET
@requires(perms.TRAINING_VIEW, message=selectors.VIEW_DENIED)
def coverage_export(request):
    form, start, end, annotated, rows = _coverage(request)

    def numbered():
        for serial, enterprise in enumerate(rows.iterator(chunk_size=1000), start=1):
            enterprise.serial = serial
            yield enterprise

    return xlsx_response(
        f"培训覆盖情况-{end:%Y%m%d}.xlsx",
        title="应创企业“五项岗位”培训覆盖情况",
        subtitle=f"培训期间:{start:%Y-%m-%d} 至 {end:%Y-%m-%d};应创台账截至 {end:%Y-%m-%d}",
        columns=COVERAGE_COLUMNS,
        rows=numbered(),
    )
