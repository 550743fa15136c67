"""信息报送 pages (docs/filings.md): who filed what, a filing as filed against today's view of
its date and why they differ, the district's answer, and the roll-up of every 镇街."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import requires
from anbiao.campaigns import metrics
from anbiao.campaigns.asknown import as_known_at
from anbiao.campaigns.selectors import campaign_get, campaigns_for
from anbiao.core.files import stored_file_response
from anbiao.core.forms import apply_errors
from anbiao.filings import rollup as rollups
from anbiao.filings import selectors, services
from anbiao.filings.changes import compare
from anbiao.filings.exports import filed_lists_response, rollup_response
from anbiao.filings.forms import ReturnForm, RollupForm, SubmitForm
from anbiao.filings.models import Filing
from anbiao.filings.periods import periods
from anbiao.filings.snapshot import comparable, figures

VIEW_DENIED = selectors.VIEW_DENIED


def _campaign(request):
    """The campaign asked for (?campaign=slug), else the user's first with filings."""
    visible = campaigns_for(request.user)
    slug = request.GET.get("campaign") or request.POST.get("campaign") or ""
    if slug:
        return campaign_get(user=request.user, slug=slug)
    return visible.exclude(filing_frequency="none").first() or visible.first()


def _open_periods(user, campaign, today):
    """The periods the user's 镇街 may still file: ended and not standing (filed and not
    returned)."""
    if campaign is None or user.region_id is None:
        return []
    standing = {
        f.period
        for f in selectors.standing_filings(
            Filing.objects.filter(campaign=campaign, region=user.region)
        )
    }
    return [p for p in reversed(periods(campaign, today)) if p.key not in standing]


def _can_submit(user, campaign) -> bool:
    return bool(
        campaign
        and perms.has_perm(user, perms.FILING_SUBMIT)
        and user.region_id
        and user.region.level == "subdistrict"
        and user.region.path.startswith(campaign.region.path)
    )


def _list_page(request, campaign, form):
    user, today = request.user, timezone.localdate()
    shown, rows = (
        selectors.board(user=user, campaign=campaign, today=today) if campaign else ([], [])
    )
    filings = selectors.filings_for(user)
    if campaign is not None:
        filings = filings.filter(campaign=campaign)
    return render(
        request,
        "filings/list.html",
        {
            "campaign": campaign,
            "campaigns": campaigns_for(user),
            "form": form,
            "shown": shown,
            "rows": rows,
            "late": [row for row in rows if row.late],
            "filings": filings[:50],
            "today": today,
        },
    )


@require_GET
@requires(perms.FILING_VIEW, message=VIEW_DENIED)
def filing_list(request):
    """Which 镇街 filed which period, which are late, and (for a station) the filing form."""
    user = request.user
    campaign = _campaign(request)
    form = None
    if _can_submit(user, campaign):
        form = SubmitForm(periods=_open_periods(user, campaign, timezone.localdate()))
    return _list_page(request, campaign, form)


@requires(perms.FILING_SUBMIT, message=services.SUBMIT_DENIED)
def filing_create(request):
    """报送 (POST only): freeze the station's figures for the chosen period (or 临时报送). A
    station outside the campaign is refused whatever the method."""
    user = request.user
    try:
        campaign = _campaign(request)
    except Http404:
        campaign = None
    if not _can_submit(user, campaign):
        raise PermissionDenied("本镇街不在该专项行动的范围内")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SubmitForm(request.POST, periods=_open_periods(user, campaign, timezone.localdate()))
    if form.is_valid():
        try:
            filing = services.filing_submit(
                actor=user,
                campaign=campaign,
                period=form.cleaned_data["period"],
                as_of=form.cleaned_data["as_of"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已报送{filing.period_label},等待区专班签收")
            return redirect("filings:detail", pk=filing.pk)
    return _list_page(request, campaign, form)


@require_GET
@requires(perms.FILING_VIEW, message=VIEW_DENIED)
def filing_detail(request, pk: int):
    """A filing as filed, today's view of its date, why they differ, and the answer."""
    filing = selectors.filing_get(user=request.user, pk=pk)
    comparison = compare(filing)
    verified = None
    if request.GET.get("verify") == "1":
        # The slow, exact path: recompute with only what had been entered when it was filed.
        again = as_known_at(
            filing.filed_at,
            lambda: figures(filing.campaign, filing.region, filing.as_of, with_targets=False),
        )
        verified = comparable(again) == comparable(
            {k: getattr(filing, k) for k in ("values", "breakdowns", "enterprise_ids")}
        )
    can_answer = perms.has_perm(request.user, perms.FILING_RECEIVE) and filing.status == "filed"
    return render(
        request,
        "filings/detail.html",
        {
            "filing": filing,
            "comparison": comparison,
            "verified": verified,
            "can_answer": can_answer,
            "return_form": ReturnForm(),
            "files": filing.files.all(),
            "metric_labels": metrics.METRICS,
        },
    )


@require_GET
@requires(perms.FILING_VIEW, message=VIEW_DENIED)
def filing_lists(request, pk: int):
    """The enterprises behind the filed numbers (.xlsx)."""
    return filed_lists_response(selectors.filing_get(user=request.user, pk=pk))


@require_GET
@requires(perms.FILING_VIEW, message=VIEW_DENIED)
def filing_file(request, pk: int, file_pk: int):
    return stored_file_response(
        selectors.filing_file_get(user=request.user, pk=pk, file_pk=file_pk)
    )


@requires(perms.FILING_RECEIVE, message=services.RECEIVE_DENIED)
@require_POST
def filing_receive(request, pk: int):
    filing = selectors.filing_get(user=request.user, pk=pk)
    try:
        services.filing_receive(actor=request.user, filing=filing)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, "已签收")
    return redirect("filings:detail", pk=filing.pk)


@requires(perms.FILING_RECEIVE, message=services.RECEIVE_DENIED)
@require_POST
def filing_return(request, pk: int):
    filing = selectors.filing_get(user=request.user, pk=pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "退回须写明意见")
        return redirect("filings:detail", pk=filing.pk)
    try:
        services.filing_return(
            actor=request.user, filing=filing, comment=form.cleaned_data["comment"]
        )
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, "已退回,镇街可重新报送")
    return redirect("filings:detail", pk=filing.pk)


def _rollup_date(request):
    form = RollupForm(request.GET or None, initial={"on": timezone.localdate()})
    on = timezone.localdate()
    if form.is_bound and form.is_valid() and form.cleaned_data.get("on"):
        if form.cleaned_data["on"] > on:
            form.add_error("on", metrics.FUTURE_DATE)
        else:
            on = form.cleaned_data["on"]
    return form, on


SORTS = {"rank", *(key for key, *_ in rollups.COLUMNS)}


@require_GET
@requires(perms.ROLLUP_VIEW, message=rollups.DENIED)
def rollup(request):
    """Every 镇街 of the district on one page: sortable, ranked, charted, exportable."""
    form, on = _rollup_date(request)
    data = rollups.rollup(user=request.user, on=on)
    sort = request.GET.get("sort", "rank")
    if sort.lstrip("-") not in SORTS:
        raise Http404("未知的排序")
    rows = rollups.sort_rows(data.rows, sort.lstrip("-"), sort.startswith("-"))
    chart = {
        "names": [r.region.name for r in data.rows],
        "completion": [r.values.get("completion_rate") for r in data.rows],
        "start": [r.values.get("start_rate") for r in data.rows],
        "eligible": [r.values.get("eligible_total") for r in data.rows],
    }
    return render(
        request,
        "filings/rollup.html",
        {
            "form": form,
            "on": on,
            "data": data,
            "rows": rows,
            "sort": sort,
            "columns": rollups.COLUMNS,
            "chart": chart,
        },
    )


@require_GET
@requires(perms.ROLLUP_VIEW, message=rollups.DENIED)
def rollup_export(request):
    form, on = _rollup_date(request)
    return rollup_response(rollups.rollup(user=request.user, on=on), user=request.user)
