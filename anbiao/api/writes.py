"""Write endpoints. Each calls the same service function as the web page, so the rules, the
change log and the Chinese messages are the same; a refusal comes back as the error body.

Not yet here: inspections, hazards and their rectification. They belong to the supervision
app, which is being built on another branch; its endpoints join this router when it lands
(docs/api.md, “尚未提供”).
"""

from django.core.exceptions import ValidationError
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
    """记录一次技术服务(指导)。机构用户记录本机构的;安监站可为任一在册机构记录。"""
    user = request.user
    enterprise = enterprise_by_ref(user, ref)
    agency_id = payload.agency_id
    if agency_id is None and user.role == Role.AGENCY:
        agency_id = user.agency_id
    if agency_id is None:
        raise ValidationError({"agency_id": "请填写机构"})
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
