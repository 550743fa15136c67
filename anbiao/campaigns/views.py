"""Campaign pages: the dashboard, the plan, tasks, the enterprises behind a number, reports."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.accounts.scope import regions_for
from anbiao.campaigns import metrics, selectors, services, tasks
from anbiao.campaigns.cache import FiguresPending
from anbiao.campaigns.forms import (
    CampaignForm,
    DashboardForm,
    TargetForm,
    TaskForm,
    TaskUpdateForm,
)
from anbiao.campaigns.models import Campaign, Target, Task
from anbiao.campaigns.reports import progress_report_response
from anbiao.campaigns.summary_docx import summary_docx
from anbiao.campaigns.targets import forecast_line
from anbiao.core.files import stored_file_response
from anbiao.core.forms import apply_errors
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_id
from anbiao.enterprises.choices import Industry

INDUSTRY_LABELS = dict(Industry.choices)


def _as_of_and_region(request, campaign):
    form = DashboardForm(
        request.GET or None,
        regions=selectors.region_choices(request.user, campaign),
        initial={"as_of": timezone.localdate()},
    )
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data.get("as_of") or timezone.localdate(), data.get("region")


def _refused_date(request, form, campaign):
    """A report asked for a date after today: back to the dashboard with the reason."""
    if not form.errors.get("as_of"):
        return None
    messages.error(request, form.errors["as_of"][0])
    return redirect("campaigns:dashboard", slug=campaign.slug)


def dashboard(request, campaign: Campaign | None = None):
    """The home page of station and district users: where we stand, and will we make it."""
    user = request.user
    campaign = campaign or selectors.campaigns_for(user).first()
    if campaign is None:
        return None
    form, on, region = _as_of_and_region(request, campaign)
    refresh = tasks.queue_refresh(user, campaign, on, region)
    try:
        board = selectors.dashboard(
            user=user, campaign=campaign, on=on, region=region, refresh=refresh
        )
    except FiguresPending:
        return render(
            request,
            "campaigns/dashboard_pending.html",
            {"campaign": campaign, "form": form, "on": on, "query": querystring_without(request)},
        )
    query = querystring_without(request)
    for result in board.targets:
        result.link = target_link(campaign, result.target.metric, query)
    # The chart ends at the campaign's last deadline (or today, if later): a forecast beyond it
    # is cut there and named in the legend instead.
    chart_end = max([campaign.ends_on, on, *(t.target.deadline for t in board.targets)])
    return render(
        request,
        "campaigns/dashboard.html",
        {
            "campaign": campaign,
            "form": form,
            "on": on,
            "board": board,
            "query": query,
            "chart": {
                "series": board.series,
                "axis_end": chart_end.isoformat(),
                "targets": [
                    {
                        "metric": t.target.metric,
                        "label": t.target.metric_label,
                        "threshold": t.threshold,
                        "deadline": t.target.deadline.isoformat(),
                        **burnup_forecast(t, board.series, chart_end),
                    }
                    for t in board.targets
                    if t.target.metric in ("completion_rate", "start_rate")
                ],
                "funnel": [{"name": label, "value": n} for _, label, n in board.funnel],
                "subdistricts": board.by_subdistrict,
                "industries": [
                    {**row, "name": INDUSTRY_LABELS[row["group"]]} for row in board.by_industry
                ],
            },
            "metric_labels": metrics.METRICS,
            "campaigns": selectors.campaigns_for(user),
        },
    )


def burnup_forecast(result, series: list[dict], until) -> dict:
    """The forecast line of a rate target for the burn-up chart, cut at `until`, with its
    legend text; nothing when the target is met, past or never reached at the current pace."""
    last = series[-1] if series else None
    if (
        result.forecast_date is None
        or result.status == "met"
        or last is None
        or last.get(result.target.metric) is None
    ):
        return {"forecast": None}
    start = date.fromisoformat(last["date"])
    points, legend = forecast_line(
        start, last[result.target.metric], result.forecast_date, result.threshold, until
    )
    return {
        "forecast": result.forecast_date.isoformat(),
        "forecast_points": [[day.isoformat(), value] for day, value in points],
        "forecast_legend": legend,
    }


def target_link(campaign: Campaign, metric: str, query: str) -> str:
    """What a click on a target card opens: the enterprises behind its number (the list its
    registry entry names), or the page of what it counts."""
    entry = metrics.METRICS[metric]
    if entry.drilldown:
        url = reverse("campaigns:enterprises", args=[campaign.slug, entry.drilldown])
        return f"{url}?{query}"
    return reverse(entry.page)


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def campaign_list(request):
    campaigns = list(selectors.campaigns_for(request.user))
    can_manage = perms.has_perm(request.user, perms.CAMPAIGN_MANAGE)
    templates, uncovered = [], []
    if can_manage:
        # 镇街 without a campaign of their own, and the plans a new one can start from.
        templates = [c for c in campaigns if services.template_path(c)]
        covered = {c.region_id for c in Campaign.objects.all()}
        uncovered = [
            r
            for r in regions_for(request.user).filter(level="subdistrict").order_by("code")
            if r.pk not in covered
        ]
    return render(
        request,
        "campaigns/list.html",
        {
            "campaigns": campaigns,
            "can_manage": can_manage,
            "templates": templates,
            "uncovered": uncovered,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CAMPAIGN_MANAGE, message="您没有创建专项行动的权限")
def campaign_from_template(request):
    """Create a 镇街's campaign from another's plan (the list page's form)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    template = Campaign.objects.filter(slug=str(request.POST.get("template", ""))[:60]).first()
    region = regions_for(request.user).filter(pk=parse_id(request.POST.get("region"))).first()
    if template is None or region is None:
        messages.error(request, "请选择模板方案和镇街")
        return redirect("campaigns:list")
    try:
        campaign = services.campaign_from_template(
            actor=request.user, template=template, region=region
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return redirect("campaigns:list")
    messages.success(
        request, f"已为{region.name}创建“{campaign.name}”,请核对名称、日期、目标和任务"
    )
    return redirect("campaigns:detail", slug=campaign.slug)


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def campaign_dashboard(request, slug: str):
    return dashboard(request, selectors.campaign_get(user=request.user, slug=slug))


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def campaign_detail(request, slug: str):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    on = timezone.localdate()
    tasks = selectors.tasks_for(request.user, campaign)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "on": on,
            "phases": campaign.phases.all(),
            "targets": campaign.targets.all(),
            "tasks": tasks,
            "division": campaign.division.all(),
            "can_manage": perms.has_perm(request.user, perms.CAMPAIGN_MANAGE),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CAMPAIGN_MANAGE)
def campaign_edit(request, slug: str | None = None):
    campaign = selectors.campaign_get(user=request.user, slug=slug) if slug else Campaign()
    regions = regions_for(request.user).exclude(level="community")
    form = CampaignForm(request.POST or None, instance=campaign if slug else None, regions=regions)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_save(
                actor=request.user, campaign=campaign, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "专项行动已保存")
            return redirect("campaigns:detail", slug=campaign.slug)
    return render(
        request,
        "campaigns/form.html",
        {"form": form, "campaign": campaign if slug else None, "title": "专项行动"},
    )


def _plan_item(request, slug: str, model, form_class, pk: int | None, title: str):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    item = (
        model.objects.filter(campaign=campaign, pk=pk).first() if pk else model(campaign=campaign)
    )
    if item is None:
        raise Http404("记录不存在")
    extra = {"campaign": campaign} if form_class is TaskForm else {}
    form = form_class(request.POST or None, instance=item, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_item_save(actor=request.user, item=item, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{title}已保存")
            return redirect("campaigns:detail", slug=campaign.slug)
    return render(
        request, "campaigns/form.html", {"form": form, "campaign": campaign, "title": title}
    )


@require_http_methods(["GET", "POST"])
@requires(perms.CAMPAIGN_MANAGE)
def target_edit(request, slug: str, pk: int | None = None):
    return _plan_item(request, slug, Target, TargetForm, pk, "目标")


@require_http_methods(["GET", "POST"])
@requires(perms.CAMPAIGN_MANAGE)
def task_edit(request, slug: str, pk: int | None = None):
    return _plan_item(request, slug, Task, TaskForm, pk, "工作任务")


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def task_list(request, slug: str):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    on = timezone.localdate()
    tasks = list(selectors.tasks_for(request.user, campaign))
    show = request.GET.get("show", "")
    if show == "open":
        tasks = [t for t in tasks if t.status != "done"]
    elif show == "overdue":
        tasks = [t for t in tasks if t.is_overdue(on)]
    for task in tasks:
        task.days_left = (task.deadline - on).days
        task.can_update = services.can_update_task(request.user, task)
    return render(
        request,
        "campaigns/tasks.html",
        {"campaign": campaign, "tasks": tasks, "on": on, "show": show},
    )


@require_http_methods(["GET", "POST"])
@requires(perms.TASK_UPDATE)
def task_update(request, slug: str, pk: int):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    task = selectors.tasks_for(request.user, campaign).filter(pk=pk).first()
    if task is None:
        raise Http404("任务不存在或不属于您的部门")
    if not services.can_update_task(request.user, task):
        raise PermissionDenied("只有责任部门或安监站可以填报该任务进展")
    form = TaskUpdateForm(
        request.POST or None, request.FILES or None, initial={"status": task.status}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "任务进展已填报")
            return redirect("campaigns:tasks", slug=slug)
    return render(
        request,
        "campaigns/task_update.html",
        {
            "campaign": campaign,
            "task": task,
            "form": form,
            "updates": task.updates.select_related("actor").prefetch_related("files"),
        },
    )


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def task_file(request, slug: str, pk: int, update_pk: int):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    task = selectors.tasks_for(request.user, campaign).filter(pk=pk).first()
    update = task.updates.filter(pk=update_pk).first() if task else None
    item = update.files.first() if update else None
    if item is None:
        raise Http404("文件不存在")
    return stored_file_response(item)


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def enterprises(request, slug: str, metric: str):
    """The enterprises behind a number on the dashboard."""
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    if metric not in metrics.LISTS:
        raise Http404("未知的指标")
    form, on, region = _as_of_and_region(request, campaign)
    scope = selectors.scope_for(request.user, campaign, on, region)
    qs = (
        metrics.enterprises_behind(scope, metric)
        .select_related("region", "region__parent")
        .order_by("region__path", "name_pinyin", "id")
    )
    return render(
        request,
        "campaigns/enterprises.html",
        {
            "campaign": campaign,
            "label": metrics.LISTS[metric].label,
            "on": on,
            "scope": scope,
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "back": f"{reverse('campaigns:dashboard', args=[slug])}?"
            f"{querystring_without(request, 'page')}",
        },
    )


@require_GET
@requires(perms.REPORT_EXPORT)
def progress_report(request, slug: str):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    form, on, region = _as_of_and_region(request, campaign)
    if refused := _refused_date(request, form, campaign):
        return refused
    scope = selectors.scope_for(request.user, campaign, on, region)
    return progress_report_response(scope, user=request.user)


@require_GET
@requires(perms.REPORT_EXPORT)
def summary_report(request, slug: str):
    """The 总结验收 report draft (.docx)."""
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    form, on, region = _as_of_and_region(request, campaign)
    if refused := _refused_date(request, form, campaign):
        return refused
    scope = selectors.scope_for(request.user, campaign, on, region)
    unit = f"{scope.area.name}安监站" if scope.area.level == "subdistrict" else scope.area.name
    response = HttpResponse(
        summary_docx(scope, unit=unit),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{campaign.name}工作总结(初稿)-{on:%Y%m%d}.docx"
    )
    return response


@require_GET
@requires(perms.CAMPAIGN_VIEW)
def print_summary(request, slug: str):
    campaign = selectors.campaign_get(user=request.user, slug=slug)
    form, on, region = _as_of_and_region(request, campaign)
    if refused := _refused_date(request, form, campaign):
        return refused
    board = selectors.dashboard(user=request.user, campaign=campaign, on=on, region=region)
    return render(
        request,
        "campaigns/print.html",
        {
            "campaign": campaign,
            "on": on,
            "board": board,
            "metric_labels": metrics.METRICS,
            "today": timezone.localdate(),
        },
    )
