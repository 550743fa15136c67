"""The change-log page (审计日志): every write, who, when, from where, old → new; filterable and
exportable. A system administrator sees all of it; a district officer the changes of the
enterprises in their region (ChangeLog is scoped through its enterprise)."""

from functools import cache

from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require, requires
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.models import ChangeLog
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_choice, parse_date

APPS = ("accounts", "agencies", "enterprises", "cases", "campaigns", "surveys", "benchmarks")
APPS += ("training", "core")


@cache
def object_types() -> dict[str, str]:
    """'app.model' → the model's Chinese name, for every model the change log can name."""
    from django.apps import apps

    return {
        m._meta.label_lower: str(m._meta.verbose_name)
        for m in apps.get_models()
        if m._meta.app_label in APPS
    }


def filters(params) -> dict:
    """The page's filters read defensively from the query string."""
    return {
        "q": str(params.get("q", "")).strip()[:100],
        "action": parse_choice(params.get("action", ""), ChangeLog.Action.choices),
        "object_type": parse_choice(params.get("object_type", ""), object_types()),
        "start": parse_date(params.get("start")),
        "end": parse_date(params.get("end")),
    }


def change_log(*, user, params) -> tuple[QuerySet[ChangeLog], dict]:
    """The change-log entries `user` may see, filtered by `params`, newest first."""
    require(user, perms.AUDIT_VIEW)
    f = filters(params)
    qs = ChangeLog.objects.restrict(user, "view").select_related("actor", "enterprise")
    if f["q"]:
        qs = qs.filter(
            Q(object_repr__icontains=f["q"])
            | Q(note__icontains=f["q"])
            | Q(actor__username__icontains=f["q"])
            | Q(actor__full_name__icontains=f["q"])
            | Q(ip_address__startswith=f["q"])
        )
    if f["action"]:
        qs = qs.filter(action=f["action"])
    if f["object_type"]:
        qs = qs.filter(object_type=f["object_type"])
    if f["start"]:
        qs = qs.filter(at__date__gte=f["start"])
    if f["end"]:
        qs = qs.filter(at__date__lte=f["end"])
    return qs.order_by("-at", "-id"), f


def changes_text(entry: ChangeLog) -> str:
    """Each changed field as 'label: old → new', one per line."""
    return "\n".join(
        f"{c.get('label', c.get('field', ''))}:{c.get('old') or '(空)'} → {c.get('new') or '(空)'}"
        for c in entry.changes or []
        if isinstance(c, dict)
    )


@require_GET
@requires(perms.AUDIT_VIEW)
def audit_log(request):
    qs, f = change_log(user=request.user, params=request.GET)
    page = paginate(request, qs)
    types = object_types()
    for entry in page:
        entry.type_label = types.get(entry.object_type, entry.object_type)
        entry.changes_lines = changes_text(entry).splitlines()
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "f": f,
            "actions": ChangeLog.Action.choices,
            "object_types": sorted(object_types().items(), key=lambda kv: kv[0]),
            "query": querystring_without(request, "page"),
        },
    )


COLUMNS = [
    Column("时间", lambda e: timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), 20),
    Column("操作人", lambda e: e.actor.display_name if e.actor else "系统", 14),
    Column("用户名", lambda e: e.actor.username if e.actor else "", 14),
    Column("IP地址", lambda e: e.ip_address or "", 16),
    Column("操作", lambda e: e.get_action_display(), 10),
    Column("对象类型", lambda e: object_types().get(e.object_type, e.object_type), 12),
    Column("对象", lambda e: e.object_repr, 30),
    Column("企业", lambda e: e.enterprise.name if e.enterprise else "", 30),
    Column("变更内容(原值 → 新值)", changes_text, 60),
    Column("说明", lambda e: e.note, 30),
]


@require_GET
@requires(perms.AUDIT_VIEW)
def audit_log_export(request):
    qs, _ = change_log(user=request.user, params=request.GET)
    today = timezone.localdate()
    return xlsx_response(
        f"审计日志-{today:%Y%m%d}.xlsx",
        title="审计日志(数据变更记录)",
        subtitle=f"导出日期:{today:%Y-%m-%d};导出人:{request.user.display_name}",
        columns=COLUMNS,
        rows=qs.iterator(chunk_size=2000),
    )
