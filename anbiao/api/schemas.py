"""The API's typed shapes. ninja turns them into the OpenAPI document, and every response is
validated against them (and fuzzed against them in tests/test_schema_fuzz.py)."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema

from anbiao.cases.choices import EventKind


class Page(Schema):
    next_cursor: str | None = Field(None, description="下一页的游标;为 null 表示已是最后一页")


class RegionOut(Schema):
    id: int
    code: str = Field(description="区划代码(GB/T 2260 风格)")
    name: str
    level: str = Field(description="district 区县 / subdistrict 镇街 / community 社区村")
    parent_code: str | None


class RegionList(Schema):
    items: list[RegionOut]


class EnterpriseOut(Schema):
    id: int
    uscc: str = Field(description="统一社会信用代码,自然键")
    name: str
    name_initials: str
    address: str
    region_code: str
    region_name: str
    industry: str
    industry_code: str
    size: str
    employees: int | None
    revenue: float | None = Field(description="营业收入(万元)")
    in_torch_zone: bool
    status: str
    status_since: date | None
    ledger_since: date | None
    eligible: bool | None
    eligibility_reason: str
    principal_name: str
    principal_phone: str
    safety_manager_name: str
    safety_manager_phone: str
    risk_tags: list[str] = Field(description="重点风险代码")
    updated_at: datetime


class EnterprisePage(Page):
    items: list[EnterpriseOut]


class LedgerRow(Schema):
    id: int
    uscc: str
    name: str
    region_code: str
    industry: str
    size: str
    eligible: bool = Field(description="统计日是否为应创企业")
    entered_on: date | None = Field(description="首次纳入台账日期")
    new: bool = Field(description="是否为基线日之后纳入的新增企业")


class LedgerPage(Page):
    as_of: date
    baseline: date
    items: list[LedgerRow]


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    on: date
    note: str
    state_after: str
    grade: str
    score: float | None
    reverses_id: int | None = Field(description="被本条“更正撤回”的记录")
    reversed: bool = Field(description="本条已被撤回")
    source: str
    actor: str | None = Field(description="记录人用户名")
    recorded_at: datetime


class CaseOut(Schema):
    id: int
    enterprise_id: int
    uscc: str
    cycle: int
    state: str
    state_label: str
    state_since: date | None
    started_on: date | None
    flagged: bool
    flag_reason: str
    updated_at: datetime
    events: list[EventOut]


class CasePage(Page):
    items: list[CaseOut]


class ItemScoreOut(Schema):
    item_code: str
    deducted: float
    not_applicable: bool
    veto_failed: bool
    reason: str


class AssessmentOut(Schema):
    id: int
    case_id: int
    enterprise_id: int
    uscc: str
    kind: str
    status: str
    standard_code: str
    standard_version: int
    agency_id: int | None
    submitted_on: date | None
    score: float | None = Field(description="得分率(百分制,一位小数)")
    earned: float | None
    applicable: float | None
    veto_failed: bool
    grade: str
    items: list[ItemScoreOut] | None = Field(None, description="逐项得分(仅单条查询时返回)")


class AssessmentPage(Page):
    items: list[AssessmentOut]


class CertificateOut(Schema):
    id: int
    number: str
    enterprise_id: int
    uscc: str
    case_id: int
    grade: str
    issuer: str
    issued_on: date
    expires_on: date
    replaces_number: str | None = Field(description="换发自(上一张证书编号)")
    ended_on: date | None
    end_kind: str
    end_reason: str
    void: bool
    status: str = Field(description="今日状态:valid/expiring/expired/renewed/revoked/…")


class CertificatePage(Page):
    items: list[CertificateOut]


class BenchmarkOut(Schema):
    id: int
    enterprise_id: int
    uscc: str
    name: str
    chosen_on: date
    stage: str
    stage_label: str
    stage_since: date
    established_on: date | None
    withdrawn_on: date | None
    agency_id: int | None


class BenchmarkPage(Page):
    items: list[BenchmarkOut]


class AttendanceOut(Schema):
    id: int
    session_id: int
    session_topic: str
    held_on: date
    region_code: str
    name: str
    role: str
    enterprise_id: int | None
    uscc: str | None
    unit: str
    position: str
    recorded_at: datetime


class AttendancePage(Page):
    items: list[AttendanceOut]


class CampaignOut(Schema):
    slug: str
    name: str
    region_code: str
    issuer: str
    document_number: str
    baseline_on: date
    starts_on: date
    ends_on: date
    industries: list[str]
    sizes: list[str]
    exclude_torch_zone: bool
    updated_at: datetime


class CampaignList(Schema):
    items: list[CampaignOut]


class TargetOut(Schema):
    metric: str
    label: str
    threshold: int | float
    deadline: date
    value: int | float | None
    status: str = Field(description="met / on_track / at_risk / behind")
    forecast_date: date | None
    value_at_deadline: int | float | None


class KpiOut(Schema):
    """The same document as `anbiao kpi --json`."""

    campaign: str
    as_of: date
    region: str
    metrics: dict[str, int | float | None] = Field(description="各项指标;比率为 0–1,不适用为 null")
    targets: list[TargetOut]


class GuidanceOut(Schema):
    id: int
    agency_id: int | None = Field(description="机构;安监站自己的服务指导为 null")
    enterprise_id: int
    uscc: str
    visited_on: date
    staff: str
    content: str
    issues: str
    suggestions: str
    recorded_at: datetime


class InspectionOut(Schema):
    id: int
    enterprise_id: int
    uscc: str
    checklist_code: str
    checklist_version: int
    checklist_name: str
    inspected_on: date
    inspectors: str
    status: str = Field(description="draft 检查中 / done 已完成")
    summary: str
    contact_name: str = Field(description="企业确认人")
    finished_at: datetime | None
    hazard_count: int = Field(description="本次检查发现的隐患数")
    created_at: datetime


class InspectionPage(Page):
    items: list[InspectionOut]


class HazardEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    on: date
    state_before: str
    state_after: str
    note: str
    actor: str | None
    recorded_at: datetime


class HazardOut(Schema):
    id: int
    enterprise_id: int
    uscc: str
    inspection_id: int | None = Field(description="来源检查;现场登记的为 null")
    level: str = Field(description="general 一般隐患 / major 重大隐患")
    description: str
    location: str
    legal_basis: str
    found_on: date
    deadline: date = Field(description="整改期限")
    responsible: str = Field(description="五落实:责任")
    measures: str = Field(description="五落实:措施")
    funds: float | None = Field(description="五落实:资金(元)")
    contingency: str = Field(description="五落实:预案")
    missing_plan: list[str] = Field(description="重大隐患尚缺的五落实项;一般隐患为空")
    state: str = Field(
        description="registered 登记 / rectifying 整改中 / review_requested 申请复查"
        " / closed 已销号"
    )
    state_since: date
    closed_on: date | None
    listed: bool = Field(description="挂牌督办(未销号的重大隐患)")
    overdue: bool = Field(description="今日未销号且已过整改期限")
    created_at: datetime
    events: list[HazardEventOut]


class HazardPage(Page):
    items: list[HazardOut]


# --- writes


class EventIn(Schema):
    kind: EventKind = Field(description="事项;发证请用 /certificates")
    on: date = Field(description="日期,不晚于今天")
    note: str = Field("", max_length=500)
    grade: str = Field("", max_length=20, description="评审通过时的等级")
    score: float | None = Field(None, description="得分(百分制)")
    proxy_for: str = Field(
        "",
        max_length=100,
        description="街道代录:定级决定(评审结果、发证等)由街道录入时,写明作出决定的单位",
    )


class CertificateIn(Schema):
    kind: Literal["certificate", "renewal"] = Field(
        "certificate", description="certificate 取得证书 / renewal 换发证书"
    )
    number: str = Field(max_length=60)
    issued_on: date
    grade: str = Field("", max_length=20, description="省略时取评审通过的等级")
    issuer: str = Field("", max_length=100)
    expires_on: date | None = Field(None, description="省略时按配置的有效期年数")
    note: str = Field("", max_length=500)
    proxy_for: str = Field(
        "",
        max_length=100,
        description="街道代录:定级决定(评审结果、发证等)由街道录入时,写明作出决定的单位",
    )


class GuidanceIn(Schema):
    agency_id: int | None = Field(
        None, description="机构;机构用户省略时为本机构,安监站省略时为本站的服务指导"
    )
    visited_on: date
    content: str
    issues: str = ""
    suggestions: str = ""
    staff: str = Field("", max_length=100)


class HazardIn(Schema):
    level: Literal["general", "major"] = Field(description="general 一般隐患 / major 重大隐患")
    description: str = Field(max_length=500)
    found_on: date = Field(description="发现日期,不晚于今天")
    location: str = Field("", max_length=100)
    legal_basis: str = Field("", max_length=300)
    deadline: date | None = Field(None, description="整改期限;省略时按隐患级别的默认天数")
    responsible: str = Field("", max_length=50)
    measures: str = ""
    funds: float | None = Field(None, description="整改资金(元)")
    contingency: str = ""


class RectificationIn(Schema):
    """整改:先按所给字段更新整改方案(重大隐患的五落实),再走一步(可省略)。全部成功或全部不变。"""

    responsible: str | None = Field(None, max_length=50, description="五落实:责任人")
    measures: str | None = Field(None, description="五落实:措施")
    funds: float | None = Field(None, description="五落实:资金(元)")
    deadline: date | None = Field(None, description="五落实:时限(整改期限)")
    contingency: str | None = Field(None, description="五落实:预案")
    step: Literal["start", "request_review"] | None = Field(
        None, description="start 开始整改 / request_review 申请复查(须已在网页上传整改材料)"
    )
    on: date | None = Field(None, description="这一步的日期,默认今天")
    note: str = Field("", max_length=500)
