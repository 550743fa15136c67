"""The 应创台账 as of a date, and its 附件3 export."""

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from anbiao.accounts import permissions as perms
from anbiao.accounts.access import require, requires
from anbiao.accounts.scope import regions_for
from anbiao.core.forms import StyledForm
from anbiao.core.official_forms import official_form_response, write_official_form
from anbiao.core.pagination import paginate, querystring_without
from anbiao.core.parsing import SaneDateField
from anbiao.enterprises import export_jobs, ledger, selectors
from anbiao.enterprises.ledger_export import ledger_form
from anbiao.enterprises.models import Enterprise, ExportJob

VIEWS = (
    ("eligible", "应创企业"),
    ("new", "其中新增企业"),
    ("scope", "范围内全部企业(含不符合条件)"),
)


class LedgerForm(StyledForm):
    as_of = SaneDateField(
        label="统计日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    region = forms.ModelChoiceField(
        label="区域", queryset=None, required=False, empty_label="全部管辖区域"
    )
    view = forms.ChoiceField(label="范围", choices=VIEWS, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user).exclude(level="community")


LEDGER_DENIED = "您没有查看台账的权限"


def _ledger(request):
    return _ledger_for(request.user, request.GET)


def _ledger_for(user, params):
    require(user, perms.ENTERPRISE_VIEW, message=LEDGER_DENIED)
    form = LedgerForm(params or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    on = data.get("as_of") or timezone.localdate()
    region = data.get("region")
    view = data.get("view") or "eligible"
    scoped = Enterprise.objects.restrict(user, "view")
    baseline = ledger.baseline_for(region or user.region)
    if view == "scope":
        qs = scoped.filter(
            pk__in=ledger.in_scope(Enterprise.objects.all(), on, region).values("pk")
        )
    else:
        qs = _eligible(scoped, on, region)
    if view == "new":
        qs = ledger.new_since(qs, baseline)
    return form, on, region, view, qs, baseline


def _eligible(scoped, on, region):
    """The 应创企业 on `on`, as `ledger.eligible`: the enterprises whose 应创 span
    (`ledger.scope_spans`) covers the date. An enterprise's spans never overlap, so this is one
    join of the span covering the date, without duplicates: the count walks the enterprises once
    with one index lookup each (`span_enterprise_idx`), where one `EXISTS` per enterprise cost
    a third more, and `ledger.eligible`'s annotation joins the spans once per condition."""
    region_ids = None
    if region is not None:
        region_ids = list(region.subtree().values_list("pk", flat=True))
    return scoped.filter(ledger.scope_span_q("spans__", on=on, region_ids=region_ids))


def _page_columns(rows, on, baseline):
    """What a page's rows show: the ledger's values on `on` and whether each row is new."""
    return ledger.annotate_new(ledger.annotate_as_of(rows, on), baseline).select_related(
        "region__parent"
    )


@require_GET
@requires(perms.ENTERPRISE_VIEW, message=LEDGER_DENIED)
def ledger_page(request):
    form, on, region, view, qs, baseline = _ledger(request)
    rows = selectors.in_list_order(qs, decorate=lambda page: _page_columns(page, on, baseline))
    return render(
        request,
        "enterprises/ledger.html",
        {
            "form": form,
            "on": on,
            "view_label": dict(VIEWS)[view],
            "baseline": baseline,
            "page": paginate(request, rows),
            "query": querystring_without(request, "page"),
            "export_query": querystring_without(request, "page", "view"),
            "can_export": perms.has_perm(request.user, perms.ENTERPRISE_EXPORT),
        },
    )


def _attachment3(user, params):
    """The 附件3 form of the ledger page's filters, its file name and its number of rows."""
    form, on, region, view, _, baseline = _ledger_for(user, params)
    unit_region = region or user.region
    unit = f"{unit_region.name}安监站" if unit_region and user.region_id else "安全生产标准化专班"
    scoped = Enterprise.objects.restrict(user, "view")
    form_spec = ledger_form(scoped, on=on, region=region, unit=unit, baseline=baseline)
    return form_spec, f"附件3-应创台账-{on:%Y%m%d}.xlsx", ledger.eligible(scoped, on, region)


def build_attachment3(user, params, path: str, counted) -> int:
    """The background worker's build of a large 附件3 (enterprises/export_jobs.py)."""
    form_spec, _, _ = _attachment3(user, params)
    form_spec.rows = counted(form_spec.rows)
    return write_official_form(path, form_spec)


export_jobs.register(ExportJob.Kind.ATTACHMENT3, build_attachment3)


@require_GET
@requires(perms.ENTERPRISE_EXPORT, message="您没有导出台账的权限")
def ledger_export(request):
    form_spec, filename, eligible = _attachment3(request.user, request.GET)
    rows = eligible.count()
    if not export_jobs.inline(rows):
        job = export_jobs.export_job_create(
            actor=request.user,
            kind=ExportJob.Kind.ATTACHMENT3,
            params=request.GET,
            filename=filename,
            total_rows=rows,
        )
        return redirect("enterprises:export_job", pk=job.pk)
    return official_form_response(filename, form_spec)
