"""Write endpoints. Each calls the same service function as the web page, so the rules, the
change log and the Chinese messages are the same; a refusal comes back as the error body.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from ninja import Router, Status

from anbiao.accounts import permissions as perms
from anbiao.accounts.choices import Role
from anbiao.agencies.models import Agency
from anbiao.agencies.services import guidance_record
from anbiao.api import rows, schemas
from anbiao.api.auth import requires
from anbiao.api.reads import ERRORS, enterprise_by_ref
from anbiao.cases import selectors as case_selectors
from anbiao.cases import services as case_services
from anbiao.cases.choices import EventKind
from anbiao.supervision import selectors as supervision_selectors
from anbiao.supervision import services as supervision_services

router = Router()


@router.post(
    "/enterprises/{ref}/case-events",
    response={201: schemas.EventOut, **ERRORS},
    summary="记录创建进度",
    tags=["写入"],
)
@requires(perms.CASE_MANAGE)
def case_event_create(request, ref: str, payload: schemas.EventIn):
    """记录企业创建档案的一个步骤(与“记录进度”页面相同的规则)。发证请用 /certificates。"""
    enterprise = enterprise_by_ref(request.user, ref, "manage", case_selectors.enterprise_get)
    if payload.kind in (EventKind.CERTIFICATE, EventKind.RENEWAL):
        raise ValidationError({"kind": "发证和换证请使用 /certificates 接口(须填写证书编号)"})
    event = case_services.case_record_event(
        actor=request.user,
        enterprise=enterprise,
        kind=payload.kind,
        on=payload.on,
        note=payload.note,
        grade=payload.grade,
        score=payload.score,
        source="api",
        proxy_for=payload.proxy_for,
    )
    return Status(201, rows.event_row(event))


@router.post(
    "/enterprises/{ref}/certificates",
    response={201: schemas.CertificateOut, **ERRORS},
    summary="登记证书",
    tags=["写入"],
)
@requires(perms.CASE_MANAGE)
def certificate_create(request, ref: str, payload: schemas.CertificateIn):
    """登记证书(取得证书或换发证书),同时记录对应的创建档案事件。"""
    enterprise = enterprise_by_ref(request.user, ref, "manage", case_selectors.enterprise_get)
    event = case_services.case_record_event(
        actor=request.user,
        enterprise=enterprise,
        kind=payload.kind,
        on=payload.issued_on,
        note=payload.note,
        certificate=case_services.CertificateData(
            number=payload.number,
            grade=payload.grade,
            issuer=payload.issuer,
            expires_on=payload.expires_on,
        ),
        source="api",
        proxy_for=payload.proxy_for,
    )
    return Status(201, rows.certificate_row(event.certificate, payload.issued_on))


@router.post(
    "/enterprises/{ref}/guidance-records",
    response={201: schemas.GuidanceOut, **ERRORS},
    summary="记录技术服务",
    tags=["写入"],
)
@requires(perms.GUIDANCE_RECORD)
def guidance_create(request, ref: str, payload: schemas.GuidanceIn):
    """记录一次技术服务(指导)。机构用户记录本机构的;安监站可为任一在册机构记录,
    省略机构时记为安监站自己的服务指导。"""
    user = request.user
    enterprise = enterprise_by_ref(user, ref)
    agency_id = payload.agency_id
    if agency_id is None and user.role == Role.AGENCY:
        agency_id = user.agency_id
    agency = None  # the station's own 服务指导, as on the web
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None:
            raise ValidationError({"agency_id": f"没有 id 为 {agency_id} 的机构"})
    record = guidance_record(
        actor=user,
        agency=agency,
        enterprise=enterprise,
        visited_on=payload.visited_on,
        content=payload.content,
        issues=payload.issues,
        suggestions=payload.suggestions,
        staff=payload.staff,
    )
    return Status(201, rows.guidance_row(record))


def _hazard_out(user, pk: int) -> dict:
    """The hazard as `GET /hazards` shows it, read again after the write."""
    hazard = supervision_selectors.hazard_get(user=user, pk=pk)
    return rows.hazard_row(hazard, timezone.localdate())


@router.post(
    "/enterprises/{ref}/hazards",
    response={201: schemas.HazardOut, **ERRORS},
    summary="登记隐患",
    tags=["写入"],
)
@requires(perms.HAZARD_REVIEW)
def hazard_create(request, ref: str, payload: schemas.HazardIn):
    """登记一项隐患(与“登记隐患”页面相同的规则):重大隐患挂牌督办,持证企业的证书标记复评。"""
    enterprise = enterprise_by_ref(request.user, ref)
    hazard = supervision_services.hazard_register(
        actor=request.user,
        enterprise=enterprise,
        level=payload.level,
        description=payload.description,
        found_on=payload.found_on,
        location=payload.location,
        legal_basis=payload.legal_basis,
        deadline=payload.deadline,
        responsible=payload.responsible,
        measures=payload.measures,
        funds=payload.funds,
        contingency=payload.contingency,
    )
    return Status(201, _hazard_out(request.user, hazard.pk))


@router.post(
    "/hazards/{hazard_id}/rectification",
    response={200: schemas.HazardOut, **ERRORS},
    summary="整改:填报五落实方案、开始整改、申请复查",
    tags=["写入"],
)
@requires(perms.HAZARD_RECTIFY)
def hazard_rectify(request, hazard_id: int, payload: schemas.RectificationIn):
    """企业(或安监站代为)整改一项隐患:先更新所给的整改方案字段(重大隐患的“五落实”),再走
    `step` 这一步(与隐患页面的“填报整改方案”“开始整改”“申请复查”相同的规则)。申请复查须已在
    网页上传整改材料。任何一处不通过,整个请求不改变任何数据。"""
    user = request.user
    hazard = supervision_selectors.hazard_get(user=user, pk=hazard_id)
    plan = {
        name: getattr(payload, name)
        for name in supervision_services.PLAN_FIELDS
        if getattr(payload, name) is not None
    }
    if not plan and payload.step is None:
        raise ValidationError(
            {"step": "请填写整改方案的字段,或要办理的一步(start / request_review)"}
        )
    # One request, one outcome: the plan is not kept when the step is refused.
    with transaction.atomic():
        if plan:
            supervision_services.hazard_update_plan(actor=user, hazard=hazard, data=plan)
        if payload.step is not None:
            supervision_services.hazard_transition(
                actor=user,
                hazard=hazard,
                kind=payload.step,
                on=payload.on or timezone.localdate(),
                note=payload.note,
            )
    return _hazard_out(user, hazard.pk)
