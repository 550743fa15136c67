"""Read endpoints. Thin: each checks its permission with `require`, reads through the apps'
selectors or `restrict(user, "view")` (the one scope implementation), and pages by cursor."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, QueryDict
from django.utils import timezone
from ninja import Query, Router

from anbiao.accounts import permissions as perms
from anbiao.accounts.models import Region
from anbiao.api import rows, schemas
from anbiao.api.auth import requires
from anbiao.api.errors import ErrorBody
from anbiao.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, changed_since, page
from anbiao.benchmarks.selectors import benchmark_list
from anbiao.campaigns.selectors import campaign_get, campaigns_for, scope_for
from anbiao.campaigns.targets import kpi_document
from anbiao.cases.models import Assessment, Case, Certificate
from anbiao.core.uscc import normalize
from anbiao.enterprises import ledger
from anbiao.enterprises.models import Enterprise
from anbiao.enterprises.selectors import enterprise_get, enterprise_list
from anbiao.supervision import selectors as supervision
from anbiao.supervision.models import HazardEvent
from anbiao.training.models import Attendance

router = Router()
ERRORS = {code: ErrorBody for code in (401, 403, 404, 422, 429)}

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数(1–500)")
Cursor = Query(None, description="上一页返回的 next_cursor")
Since = Query(None, description="只列出此时间(含)之后有变化的记录,须带时区")


def _region(code: str | None) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({"region_code": f"没有区划代码为“{code}”的区域"})
    return region


EARLIEST = date(1990, 1, 1)  # no record of this system is older; metrics look back from D


def _not_future(on: date, field: str = "as_of") -> date:
    if on > timezone.localdate():
        raise ValidationError({field: "统计日期不能晚于今天"})
    if on < EARLIEST:
        raise ValidationError({field: f"统计日期不能早于{EARLIEST.isoformat()}"})
    return on


def enterprise_by_ref(user, ref: str, action: str = "view", getter=enterprise_get) -> Enterprise:
    """An enterprise by id or by USCC (the natural key), within the user's scope, else 404.
    `getter` is the app selector that decides the scope (the registry's by default)."""
    code = normalize(ref) if len(ref) == 18 else None
    if code:
        pk = Enterprise.objects.filter(uscc=code).values_list("pk", flat=True).first()
    else:
        pk = int(ref) if ref.isdigit() and len(ref) < 18 else None
    if pk is None:
        raise Http404("企业不存在或不在您的管辖范围内")
    return getter(user=user, pk=pk, action=action)


@router.get(
    "/regions", response={200: schemas.RegionList, **ERRORS}, summary="行政区划", tags=["参考数据"]
)
@requires()
def region_list(request):
    """行政区划树(区 → 镇街 → 社区),所有登录用户可读。"""
    qs = Region.objects.select_related("parent").order_by("path")
    return {"items": [rows.region_row(r) for r in qs]}


@router.get(
    "/enterprises",
    response={200: schemas.EnterprisePage, **ERRORS},
    summary="企业名录",
    tags=["企业"],
)
@requires(perms.ENTERPRISE_VIEW)
def enterprise_index(
    request,
    q: str | None = Query(None, description="名称、信用代码、地址或拼音首字母/全拼"),
    region: int | None = Query(None, description="区域 id(含下级)"),
    region_code: str | None = Query(None, description="区划代码(含下级)"),
    industry: str | None = None,
    size: str | None = None,
    status: str | None = None,
    eligibility: str | None = Query(None, description="yes / no / unknown"),
    in_torch_zone: bool | None = None,
    risk_tag: int | None = None,
    updated_since: datetime | None = Since,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """企业名录,筛选条件与“企业台账”列表页相同。按 id 升序分页。"""
    params = QueryDict(mutable=True)
    values = {
        "q": q,
        "region": region or (_region(region_code).pk if region_code else None),
        "industry": industry,
        "size": size,
        "status": status,
        "eligibility": eligibility,
        "in_torch_zone": None if in_torch_zone is None else str(in_torch_zone).lower(),
        "risk_tag": risk_tag,
    }
    for key, value in values.items():
        if value not in (None, ""):
            params[key] = str(value)
    filterset, qs = enterprise_list(user=request.user, params=params)
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors)
    since = changed_since(request, updated_since)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.enterprise_row(e) for e in items], "next_cursor": next_cursor}


@router.get(
    "/enterprises/{ref}",
    response={200: schemas.EnterpriseOut, **ERRORS},
    summary="一家企业",
    tags=["企业"],
)
@requires(perms.ENTERPRISE_VIEW)
def enterprise_detail(request, ref: str):
    """一家企业:`ref` 为 id 或统一社会信用代码。"""
    return rows.enterprise_row(enterprise_by_ref(request.user, ref))


@router.get(
    "/ledger", response={200: schemas.LedgerPage, **ERRORS}, summary="应创台账(某日)", tags=["企业"]
)
@requires(perms.ENTERPRISE_VIEW)
def ledger_index(
    request,
    as_of: date | None = Query(None, description="统计日期,默认今天"),
    region_code: str | None = None,
    view: str = Query(
        "eligible",
        pattern="^(eligible|new|scope)$",
        description="eligible 应创 / new 新增 / scope 范围内全部",
    ),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """应创台账(某日),与“应创台账”页面相同的规则。"""
    on = _not_future(as_of or timezone.localdate())
    region = _region(region_code)
    scoped = Enterprise.objects.restrict(request.user, "view")
    start = ledger.baseline_for(region)
    if view == "scope":
        qs = ledger.annotate_new(ledger.in_scope(scoped, on, region), start)
    elif view == "new":
        qs = ledger.new_since(ledger.eligible(scoped, on, region), start)
    else:
        qs = ledger.annotate_new(ledger.eligible(scoped, on, region), start)
    items, next_cursor = page(qs.select_related("region"), cursor=cursor, limit=limit)
    data = [
        {
            "id": e.pk,
            "uscc": e.uscc,
            "name": e.name,
            "region_code": e.region.code,
            "industry": e.industry,
            "size": e.on_size or e.size,
            "eligible": e.on_eligibility == "1",
            "entered_on": e.entered_on,
            "new": e.is_new,
        }
        for e in items
    ]
    return {"as_of": on, "baseline": start, "items": data, "next_cursor": next_cursor}


@router.get(
    "/cases", response={200: schemas.CasePage, **ERRORS}, summary="创建档案及事件", tags=["创建"]
)
@requires(perms.CASE_VIEW)
def case_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    state: str | None = None,
    updated_since: datetime | None = Since,
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """创建档案及其全部事件(含已撤回的,`reversed` 标明)。任何事件都会更新创建档案的 updated_at。"""
    qs = Case.objects.restrict(request.user, "view").select_related("enterprise")
    qs = qs.prefetch_related("events__actor")
    if enterprise:
        qs = qs.filter(enterprise=enterprise_by_ref(request.user, enterprise))
    if state:
        qs = qs.filter(state=state)
    since = changed_since(request, updated_since)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.case_row(c) for c in items], "next_cursor": next_cursor}


def _assessments(user):
    return Assessment.objects.restrict(user, "view").select_related("case__enterprise", "standard")


@router.get(
    "/assessments",
    response={200: schemas.AssessmentPage, **ERRORS},
    summary="评定得分",
    tags=["创建"],
)
@requires(perms.CASE_VIEW)
def assessment_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    kind: str | None = Query(None, description="self 自评 / review 评审 / annual 年度自评"),
    submitted_since: date | None = Query(None, description="只列出此日(含)之后提交的"),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """自评、评审和年度自评的得分(得分率、实得分、应得分、否决项、建议等级)。"""
    qs = _assessments(request.user)
    if enterprise:
        qs = qs.filter(case__enterprise=enterprise_by_ref(request.user, enterprise))
    if kind:
        qs = qs.filter(kind=kind)
    if submitted_since:
        qs = qs.filter(submitted_on__gte=submitted_since)
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.assessment_row(a) for a in items], "next_cursor": next_cursor}


@router.get(
    "/assessments/{assessment_id}",
    response={200: schemas.AssessmentOut, **ERRORS},
    summary="一次评定及逐项得分",
    tags=["创建"],
)
@requires(perms.CASE_VIEW)
def assessment_detail(request, assessment_id: int):
    """一次评定及逐项得分。"""
    assessment = _assessments(request.user).filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404("评定不存在或不在您的管辖范围内")
    return rows.assessment_row(assessment, items=True)


@router.get(
    "/certificates",
    response={200: schemas.CertificatePage, **ERRORS},
    summary="证书",
    tags=["创建"],
)
@requires(perms.CASE_VIEW)
def certificate_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    number: str | None = None,
    updated_since: datetime | None = Query(
        None, description="只列出所属创建档案在此时间(含)之后有变化的证书"
    ),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """证书(含已作废的),`status` 为今日状态。"""
    qs = Certificate.objects.restrict(request.user, "view").select_related(
        "case__enterprise", "replaces", "successor"
    )
    if enterprise:
        qs = qs.filter(case__enterprise=enterprise_by_ref(request.user, enterprise))
    if number:
        qs = qs.filter(number=number)
    since = changed_since(request, updated_since)
    if since is not None:
        qs = qs.filter(case__updated_at__gte=since)
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    today = timezone.localdate()
    return {"items": [rows.certificate_row(c, today) for c in items], "next_cursor": next_cursor}


@router.get(
    "/benchmarks",
    response={200: schemas.BenchmarkPage, **ERRORS},
    summary="标杆企业",
    tags=["标杆与培训"],
)
@requires(perms.BENCHMARK_VIEW)
def benchmark_index(
    request,
    q: str | None = None,
    stage: str | None = Query(None, description="阶段,或 withdrawn 已退出"),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """标杆企业(培植对象 → 试点 → 已建成)。"""
    qs = benchmark_list(user=request.user, params={"q": q or "", "stage": stage or ""})
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.benchmark_row(b) for b in items], "next_cursor": next_cursor}


@router.get(
    "/training/attendance",
    response={200: schemas.AttendancePage, **ERRORS},
    summary="培训签到",
    tags=["标杆与培训"],
)
@requires(perms.TRAINING_VIEW)
def attendance_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    start: date | None = Query(None, description="培训日期起"),
    end: date | None = Query(None, description="培训日期止"),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """培训签到:谁(五项岗位)参加了哪次培训。"""
    qs = Attendance.objects.restrict(request.user, "view").select_related(
        "session__region", "enterprise"
    )
    if enterprise:
        qs = qs.filter(enterprise=enterprise_by_ref(request.user, enterprise))
    if start:
        qs = qs.filter(session__held_on__gte=start)
    if end:
        qs = qs.filter(session__held_on__lte=end)
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.attendance_row(a) for a in items], "next_cursor": next_cursor}


def _campaign_row(c) -> dict:
    return {
        "slug": c.slug,
        "name": c.name,
        "region_code": c.region.code,
        "issuer": c.issuer,
        "document_number": c.document_number,
        "baseline_on": c.baseline_on,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "industries": list(c.industries),
        "sizes": list(c.sizes),
        "exclude_torch_zone": c.exclude_torch_zone,
        "updated_at": c.updated_at,
    }


@router.get(
    "/campaigns",
    response={200: schemas.CampaignList, **ERRORS},
    summary="专项行动",
    tags=["专项行动"],
)
@requires(perms.CAMPAIGN_VIEW)
def campaign_index(request):
    """与您的管辖区域相关的专项行动。"""
    return {"items": [_campaign_row(c) for c in campaigns_for(request.user).order_by("pk")]}


@router.get(
    "/campaigns/{slug}/metrics",
    response={200: schemas.KpiOut, **ERRORS},
    summary="专项行动指标和目标",
    tags=["专项行动"],
)
@requires(perms.CAMPAIGN_VIEW)
def campaign_metrics(
    request,
    slug: str,
    as_of: date | None = Query(None, description="统计日期,默认今天"),
    region_code: str | None = Query(
        None, description="区划代码(限于专项行动实施区域和您的管辖范围)"
    ),
):
    """各项指标和目标状态,与 `anbiao kpi --json` 输出相同(只统计您管辖范围内的企业)。"""
    campaign = campaign_get(user=request.user, slug=slug)
    on = _not_future(as_of or timezone.localdate())
    scope = scope_for(request.user, campaign, on, _region(region_code))
    return kpi_document(scope)


@router.get(
    "/inspections",
    response={200: schemas.InspectionPage, **ERRORS},
    summary="检查记录",
    tags=["监管"],
)
@requires(perms.INSPECTION_VIEW)
def inspection_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    status: str | None = Query(None, description="draft 检查中 / done 已完成"),
    updated_since: datetime | None = Query(
        None, description="只列出此时间(含)之后开始或完成的检查,须带时区"
    ),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """检查记录(与“检查记录”页面相同的范围),含本次检查发现的隐患数。"""
    params = {"status": status or ""}
    qs = supervision.inspection_list(user=request.user, params=params)
    if enterprise:
        qs = qs.filter(enterprise=enterprise_by_ref(request.user, enterprise))
    since = changed_since(request, updated_since)
    if since is not None:
        qs = qs.filter(Q(created_at__gte=since) | Q(finished_at__gte=since))
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.inspection_row(i) for i in items], "next_cursor": next_cursor}


@router.get(
    "/hazards",
    response={200: schemas.HazardPage, **ERRORS},
    summary="隐患及整改",
    tags=["监管"],
)
@requires(perms.HAZARD_VIEW)
def hazard_index(
    request,
    enterprise: str | None = Query(None, description="企业 id 或统一社会信用代码"),
    level: str | None = Query(None, description="general 一般隐患 / major 重大隐患"),
    state: str | None = Query(None, description="状态,或 open 未销号"),
    overdue: bool | None = Query(None, description="true:未销号且已过整改期限"),
    listed: bool | None = Query(None, description="true:挂牌督办(未销号的重大隐患)"),
    year: int | None = Query(None, description="发现年度"),
    updated_since: datetime | None = Query(
        None, description="只列出此时间(含)之后登记或有处置记录的隐患,须带时区"
    ),
    cursor: str | None = Cursor,
    limit: int = Limit,
):
    """隐患台账(与“隐患台账”页面相同的范围和筛选)及每项隐患的全部处置记录。"""
    today = timezone.localdate()
    params = {
        "level": level or "",
        "state": state or "",
        "overdue": "1" if overdue else "",
        "listed": "1" if listed else "",
        "year": year or "",
    }
    qs = supervision.hazard_list(user=request.user, params=params, on=today)
    qs = qs.prefetch_related(
        Prefetch("events", HazardEvent.objects.select_related("actor").order_by("on", "id"))
    )
    if enterprise:
        qs = qs.filter(enterprise=enterprise_by_ref(request.user, enterprise))
    since = changed_since(request, updated_since)
    if since is not None:
        # A hazard changes through its events (each step, plan and evidence writes one).
        stepped = HazardEvent.objects.filter(recorded_at__gte=since).values("hazard_id")
        qs = qs.filter(Q(created_at__gte=since) | Q(pk__in=stepped))
    items, next_cursor = page(qs, cursor=cursor, limit=limit)
    return {"items": [rows.hazard_row(h, today) for h in items], "next_cursor": next_cursor}
