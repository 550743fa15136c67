"""The bell's pages: one's notifications, marking them read, preferences; and for
administrators the schedule's run log. Thin: selectors and services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.workdays import covered_years
from anbiao.notifications import selectors, services
from anbiao.notifications.forms import PreferenceForm
from anbiao.notifications.rules import rule_names, rules
from anbiao.notifications.schedule import JOBS, catch_up_days


@requires(perms.NOTIFICATION_VIEW)
@require_GET
def notification_list(request):
    qs = selectors.notification_list(user=request.user, params=request.GET)
    return render(
        request,
        "notifications/list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "unread": bool(request.GET.get("unread")),
            "rule": request.GET.get("rule", ""),
            "rule_choices": sorted(rule_names().items(), key=lambda kv: kv[1]),
        },
    )


@requires(perms.NOTIFICATION_VIEW)
@require_POST
def notification_open(request):
    """Mark one notification read (its id posted as `pk`) and go to what it is about."""
    pk = request.POST.get("pk", "")
    mine = selectors.notification_list(user=request.user, params={})
    item = mine.filter(pk=int(pk)).first() if pk.isdigit() else None
    if item is None:
        raise Http404("通知不存在")
    services.mark_read(actor=request.user, pks=[item.pk])
    target = item.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notifications:list")
    return redirect(target)


@requires(perms.NOTIFICATION_VIEW)
@require_POST
def notification_read_all(request):
    n = services.mark_read(actor=request.user)
    messages.success(request, f"已将 {n} 条通知标为已读")
    return redirect("notifications:list")


@requires(perms.NOTIFICATION_VIEW)
@require_http_methods(["GET", "POST"])
def preferences(request):
    pref = services.preference_of(request.user)
    known = {rule.code for rule in rules()}
    initial = {
        "rules": sorted(known - set(pref.muted_rules or [])),
        "email_enabled": pref.email_enabled,
        "email_digest": pref.email_digest,
        "sms_enabled": pref.sms_enabled,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.preference_update(
            actor=request.user,
            muted_rules=known - set(data["rules"]),
            email_enabled=data["email_enabled"],
            email_digest=data["email_digest"],
            sms_enabled=data["sms_enabled"],
        )
        messages.success(request, "通知设置已保存")
        return redirect("notifications:list")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
            "has_phone": bool(request.user.phone),
        },
    )


@requires(perms.SCHEDULE_VIEW)
@require_GET
def run_list(request):
    qs = selectors.run_list(user=request.user)
    page = paginate(request, qs)
    for run in page:
        run.job_name = JOBS[run.job].name if run.job in JOBS else run.job
    first, last = covered_years()
    return render(
        request,
        "notifications/runs.html",
        {
            "page": page,
            "query": querystring_without(request, "page"),
            "jobs": JOBS.values(),
            "calendar_warning": selectors.calendar_warning(),
            "calendar_years": f"{first}–{last}",
            "catch_up_days": catch_up_days(),
            "today": timezone.localdate(),
        },
    )
