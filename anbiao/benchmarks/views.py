"""Benchmark pages: the list of candidates and benchmarks, one benchmark's timeline and its
steps, the observation catalog, 附件4/附件5, cross-learning visits. Thin: reads through
selectors, writes through services."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.benchmarks import exports, selectors, services
from anbiao.benchmarks.choices import Stage
from anbiao.benchmarks.forms import (
    CatalogForm,
    ChooseForm,
    CrossVisitForm,
    MeetingForm,
    StageForm,
    WithdrawForm,
)
from anbiao.benchmarks.models import Benchmark
from anbiao.core.excel import Column, xlsx_response
from anbiao.core.files import stored_file_response
from anbiao.core.forms import apply_errors
from anbiao.core.official_forms import official_form_response
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import parse_date


def _on(request) -> date:
    return parse_date(request.GET.get("on"), timezone.localdate())


def _can_manage(user) -> bool:
    return perms.has_perm(user, perms.BENCHMARK_MANAGE)


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def benchmark_list(request):
    user = request.user
    qs = selectors.benchmark_list(user=user, params=request.GET)
    counts = selectors.stage_counts(user=user)
    return render(
        request,
        "benchmarks/list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "counts": counts,
            "stage_cards": [(value, label, counts[value]) for value, label in Stage.choices],
            "stages": Stage.choices,
            "stage": request.GET.get("stage", ""),
            "q": request.GET.get("q", ""),
            "can_manage": _can_manage(user),
            "today": timezone.localdate(),
        },
    )


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def form4_export(request):
    on = _on(request)
    form = exports.form4(
        Benchmark.objects.restrict(request.user, "view"),
        on=on,
        unit=exports.filing_unit(request.user),
    )
    return official_form_response(f"附件4-标杆企业培植对象名单-{on:%Y%m%d}.xlsx", form)


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def catalog(request):
    on = _on(request)
    qs = selectors.catalog_list(user=request.user, on=on)
    return render(
        request,
        "benchmarks/catalog.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "on": on,
            "can_manage": _can_manage(request.user),
        },
    )


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def form5_export(request):
    on = _on(request)
    form = exports.form5(
        Benchmark.objects.restrict(request.user, "view"),
        on=on,
        unit=exports.filing_unit(request.user),
    )
    return official_form_response(f"附件5-标杆企业现场观摩企业目录-{on:%Y%m%d}.xlsx", form)


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def benchmark_choose(request):
    form = ChooseForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            benchmark = services.benchmark_choose(
                actor=request.user,
                enterprise=data["enterprise"],
                chosen_on=data["chosen_on"],
                reason=data["reason"],
                agency=data["agency"],
                files=request.FILES.getlist("file"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已将“{benchmark.enterprise.name}”选定为培植对象")
            return redirect("benchmarks:detail", pk=benchmark.pk)
    return render(
        request,
        "benchmarks/form.html",
        {"form": form, "title": "选定标杆企业培植对象", "multipart": True},
    )


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def benchmark_detail(request, pk: int):
    benchmark = selectors.benchmark_get(user=request.user, pk=pk)
    can_manage = _can_manage(request.user) and not benchmark.is_withdrawn
    order = Stage.order()
    index = order[benchmark.stage]
    next_stage = Stage.values[index + 1] if index + 1 < len(Stage.values) else None
    return render(
        request,
        "benchmarks/detail.html",
        {
            "b": benchmark,
            # The primary action is the next stage of the road; an established one has none.
            "next_stage": Stage(next_stage).label if next_stage else None,
            "events": selectors.benchmark_events(benchmark),
            "stages": [
                (value, label, order[value] <= order[benchmark.stage])
                for value, label in Stage.choices
            ],
            "can_manage": can_manage,
            "stage_form": StageForm(current=benchmark.stage) if can_manage else None,
        },
    )


def _step(request, pk: int, form_class, run, title: str, form_kwargs):
    benchmark = selectors.benchmark_get(user=request.user, pk=pk)
    form = form_class(request.POST or None, request.FILES or None, **form_kwargs(benchmark))
    if request.method == "POST" and form.is_valid():
        try:
            message = run(benchmark, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("benchmarks:detail", pk=benchmark.pk)
    return render(
        request,
        "benchmarks/form.html",
        {"form": form, "title": title, "benchmark": benchmark, "multipart": True},
    )


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def benchmark_stage(request, pk: int):
    def run(benchmark, data):
        event = services.benchmark_advance(
            actor=request.user,
            benchmark=benchmark,
            stage=data["stage"],
            on=data["on"],
            note=data["note"],
            reason=data["reason"],
            files=request.FILES.getlist("file"),
        )
        return f"已记录:{event.get_stage_display()}({event.on:%Y-%m-%d})"

    return _step(
        request, pk, StageForm, run, "记录培植阶段", form_kwargs=lambda b: {"current": b.stage}
    )


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def benchmark_meeting(request, pk: int):
    def run(benchmark, data):
        services.benchmark_site_meeting(
            actor=request.user,
            benchmark=benchmark,
            files=request.FILES.getlist("file"),
            **{k: data[k] for k in ("on", "attendees", "attendee_count", "place", "note")},
        )
        return "已记录现场会"

    return _step(request, pk, MeetingForm, run, "记录现场会", form_kwargs=lambda b: {})


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def benchmark_withdraw(request, pk: int):
    def run(benchmark, data):
        services.benchmark_withdraw(actor=request.user, benchmark=benchmark, **data)
        return "已退出标杆培植"

    return _step(request, pk, WithdrawForm, run, "退出标杆培植", form_kwargs=lambda b: {})


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def benchmark_edit(request, pk: int):
    benchmark = selectors.benchmark_get(user=request.user, pk=pk)
    initial = {k: getattr(benchmark, k) for k in ("reason", "agency", *services.CATALOG_FIELDS)}
    form = CatalogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.benchmark_update_catalog(
                actor=request.user, benchmark=benchmark, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已保存 {len(changes)} 项修改" if changes else "没有修改")
            return redirect("benchmarks:detail", pk=benchmark.pk)
    return render(
        request,
        "benchmarks/form.html",
        {"form": form, "title": "培植信息与观摩目录信息", "benchmark": benchmark},
    )


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def file_download(request, pk: int):
    item = selectors.benchmark_file_get(user=request.user, pk=pk)
    return stored_file_response(item)


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def visit_list(request):
    qs = selectors.cross_visit_list(user=request.user)
    return render(
        request,
        "benchmarks/visit_list.html",
        {
            "page": paginate(request, qs),
            "query": querystring_without(request, "page"),
            "can_manage": _can_manage(request.user),
        },
    )


VISIT_COLUMNS = [
    Column("序号", lambda v: v.serial, 5),
    Column("观摩日期", lambda v: v.visited_on, 11),
    Column("观摩标杆企业", lambda v: v.host_name, 26),
    Column("所在镇街", lambda v: v.host_region, 12),
    Column("组织区域", lambda v: v.region.name, 10),
    Column("组织人", lambda v: v.organiser, 8),
    Column("参加人数", lambda v: v.participant_count, 6),
    Column("参加人员", lambda v: v.participants, 30),
    Column("参加企业", lambda v: "、".join(e.name for e in v.enterprises.all()), 30),
    Column("学习收获/查缺补漏", lambda v: v.takeaways, 30),
]


@require_GET
@requires(perms.BENCHMARK_VIEW, message=selectors.VIEW_DENIED)
def visit_export(request):
    qs = selectors.cross_visit_list(user=request.user)

    def rows():
        for serial, visit in enumerate(qs, start=1):
            visit.serial = serial
            yield visit

    return xlsx_response(
        f"交叉学习记录-{timezone.localdate():%Y%m%d}.xlsx",
        title="标杆企业交叉学习记录",
        subtitle=f"导出日期:{timezone.localdate():%Y-%m-%d}",
        columns=VISIT_COLUMNS,
        rows=rows(),
    )


@require_http_methods(["GET", "POST"])
@requires(perms.BENCHMARK_MANAGE)
def visit_create(request):
    form = CrossVisitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.cross_visit_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已记录交叉学习")
            return redirect("benchmarks:visits")
    return render(request, "benchmarks/form.html", {"form": form, "title": "记录交叉学习"})
