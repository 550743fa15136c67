"""督办 pages: the list with counts, filters and export, issuing, one 督办单 with its history
and the next step for whoever looks at it, the printable 督办单. Thin: selectors and services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.core.evidence import TYPES
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.forms import apply_errors
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_id
from anbiao.core.workdays import remaining_label
from anbiao.dispatches import selectors, services
from anbiao.dispatches.choices import OPEN, RecipientKind, Status
from anbiao.dispatches.forms import DispatchForm, ReplyForm, VerdictForm
from anbiao.supervision.choices import HazardState
from anbiao.supervision.models import Hazard


def _deadline_text(dispatch, today) -> str:
    if dispatch.status == Status.ACCEPTED:
        return "已办结"
    if dispatch.status == Status.SUBMITTED:
        return "待验收"
    return remaining_label(dispatch.deadline, today)


@requires(perms.DISPATCH_VIEW)
@require_GET
def dispatch_list(request):
    user, today = request.user, timezone.localdate()
    qs = selectors.dispatch_list(user=user, params=request.GET)
    page = paginate(request, qs)
    for item in page:
        item.deadline_text = _deadline_text(item, today)
        item.overdue = item.status in OPEN and item.deadline < today
    counts = selectors.dispatch_counts(user=user, today=today)
    cards = [
        ("open", "未办结", counts["total"] - counts[Status.ACCEPTED]),
        ("overdue", "已逾期", counts["overdue"]),
        (Status.SUBMITTED, "待验收", counts[Status.SUBMITTED]),
        (Status.RETURNED, "已退回", counts[Status.RETURNED]),
        (Status.ACCEPTED, "已办结", counts[Status.ACCEPTED]),
    ]
    return render(
        request,
        "dispatches/list.html",
        {
            "page": page,
            "query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page"),
            "cards": cards,
            "total": counts["total"],
            "statuses": Status.choices,
            "kinds": RecipientKind.choices,
            "params": request.GET,
            "can_issue": perms.has_perm(user, perms.DISPATCH_ISSUE),
        },
    )


@requires(perms.DISPATCH_EXPORT)
@require_GET
def dispatch_export(request):
    today = timezone.localdate()
    qs = selectors.dispatch_list(user=request.user, params=request.GET)
    columns = [
        Column("编号", lambda d: d.number, 24),
        Column("督办单位", lambda d: d.issuer_unit, 20),
        Column("下发日期", lambda d: d.issued_on, 12),
        Column("督办对象类型", lambda d: d.get_recipient_kind_display(), 12),
        Column("督办对象", lambda d: d.recipient_label, 28),
        Column("督办事项", lambda d: d.subject, 36),
        Column("办理时限", lambda d: d.deadline, 12),
        Column("状态", lambda d: d.get_status_display(), 10),
        Column("剩余时限", lambda d: _deadline_text(d, today), 18),
        Column("状态日期", lambda d: d.status_since, 12),
    ]
    return xlsx_response(
        f"督办单-{today:%Y%m%d}.xlsx",
        title="督办单一览",
        subtitle=f"导出日期:{today:%Y-%m-%d}",
        columns=columns,
        rows=qs.iterator(),
    )


@requires(perms.DISPATCH_ISSUE)
@require_http_methods(["GET", "POST"])
def dispatch_create(request):
    form = DispatchForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial=_initial_for_hazard(request),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispatch = services.dispatch_issue(
                actor=request.user,
                recipient_kind=data["recipient_kind"],
                department=data["department"],
                enterprise=data["enterprise"],
                agency=data["agency"],
                subject=data["subject"],
                content=data["content"],
                deadline=data["deadline"],
                enterprises=data["enterprises"],
                tasks=data["tasks"],
                hazards=data["hazards"],
                files=request.FILES.getlist("file"),
            )
        except ValidationError as exc:
            apply_errors(form, exc, "file")
        else:
            messages.success(request, f"已下发督办单 {dispatch.number}")
            return redirect("dispatches:detail", pk=dispatch.pk)
    return render(request, "dispatches/form.html", {"form": form})


def _initial_for_hazard(request) -> dict:
    """`?hazard=<id>` (the 督办 button of a hazard): the hazard's enterprise is the recipient and
    the hazard is linked; a hazard out of scope or closed is simply not offered."""
    hazard_id = parse_id(request.GET.get("hazard"))
    if request.method != "GET" or hazard_id is None:
        return {}
    hazard = (
        Hazard.objects.restrict(request.user, "view")
        .exclude(state=HazardState.CLOSED)
        .select_related("enterprise")
        .filter(pk=hazard_id)
        .first()
    )
    if hazard is None:
        return {}
    return {
        "recipient_kind": RecipientKind.ENTERPRISE,
        "enterprise": hazard.enterprise,
        "subject": f"{hazard.get_level_display()}隐患整改督办",
        "content": (
            f"{hazard.enterprise.name}:{hazard.description}。"
            f"请于{hazard.deadline}前完成整改并回复。"
        ),
        "hazards": [hazard],
    }


@requires(perms.DISPATCH_VIEW)
@require_GET
def dispatch_detail(request, pk: int):
    dispatch = selectors.dispatch_get(user=request.user, pk=pk)
    return _detail(request, dispatch)


def _detail(request, dispatch, reply_form=None, verdict_form=None, status=200):
    user, today = request.user, timezone.localdate()
    can_reply = dispatch.is_open and selectors.is_recipient(user, dispatch)
    can_verdict = dispatch.status == Status.SUBMITTED and selectors.is_issuer(user, dispatch)
    return render(
        request,
        "dispatches/detail.html",
        {
            "dispatch": dispatch,
            "events": selectors.dispatch_events(dispatch),
            "linked_enterprises": dispatch.enterprises.all(),
            "linked_tasks": dispatch.tasks.select_related("campaign"),
            "linked_hazards": dispatch.hazards.select_related("enterprise"),
            "deadline_text": _deadline_text(dispatch, today),
            "overdue": dispatch.is_open and dispatch.deadline < today,
            "can_reply": can_reply,
            "can_verdict": can_verdict,
            "reply_form": reply_form or (ReplyForm() if can_reply else None),
            "verdict_form": verdict_form or (VerdictForm() if can_verdict else None),
        },
        status=status,
    )


@requires(perms.DISPATCH_REPLY)
def dispatch_reply(request, pk: int):
    # The party is checked before the method, so a GET by anyone else is refused, not 405.
    dispatch = selectors.dispatch_for(user=request.user, pk=pk, side="recipient")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.dispatch_reply(
                actor=request.user,
                dispatch=dispatch,
                text=form.cleaned_data["text"],
                files=request.FILES.getlist("file"),
                done=form.cleaned_data["done"],
            )
        except ValidationError as exc:
            apply_errors(form, exc, "file")
        else:
            messages.success(request, "已报送办结" if form.cleaned_data["done"] else "已回复")
            return redirect("dispatches:detail", pk=dispatch.pk)
    return _detail(request, dispatch, reply_form=form, status=400)


def _verdict(request, pk: int, service, done_message: str):
    dispatch = selectors.dispatch_for(user=request.user, pk=pk, side="issuer")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = VerdictForm(request.POST)
    if form.is_valid():
        try:
            service(actor=request.user, dispatch=dispatch, text=form.cleaned_data["text"])
        except ValidationError as exc:
            apply_errors(form, exc, "text")
        else:
            messages.success(request, done_message)
            return redirect("dispatches:detail", pk=dispatch.pk)
    return _detail(request, dispatch, verdict_form=form, status=400)


@requires(perms.DISPATCH_ISSUE)
def dispatch_accept(request, pk: int):
    return _verdict(request, pk, services.dispatch_accept, "已验收办结")


@requires(perms.DISPATCH_ISSUE)
def dispatch_return(request, pk: int):
    return _verdict(request, pk, services.dispatch_return, "已退回重办")


@requires(perms.DISPATCH_VIEW)
@require_GET
def dispatch_print(request, pk: int):
    dispatch = selectors.dispatch_get(user=request.user, pk=pk)
    issue = dispatch.events.filter(kind="issue").prefetch_related("files").first()
    return render(
        request,
        "dispatches/print.html",
        {
            "dispatch": dispatch,
            "files": issue.files.all() if issue else [],
            "linked_enterprises": dispatch.enterprises.all(),
            "linked_tasks": dispatch.tasks.all(),
            "linked_hazards": dispatch.hazards.select_related("enterprise"),
        },
    )


@requires(perms.DISPATCH_VIEW)
@require_GET
def file_download(request, pk: int):
    item = selectors.file_get(user=request.user, pk=pk)
    file_type = TYPES.get(item.file_type)
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.name,
        content_type=file_type.content_type if file_type else "application/octet-stream",
    )
