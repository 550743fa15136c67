"""Demo data (`anbiao demo`): a plausible 翔安区 with communities, ~200 enterprises and one
user per role.

Deterministic (fixed seed) and idempotent: enterprises are keyed by USCC and users by name, so
running it twice changes nothing. Communities and enterprises are invented for demonstration.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from anbiao.accounts.choices import RegionLevel, Role
from anbiao.accounts.models import Region, User
from anbiao.agencies.demo import build_agencies_demo
from anbiao.agencies.models import Agency, AgencyAssignment
from anbiao.benchmarks.demo import build_benchmarks_demo
from anbiao.campaigns.models import Task
from anbiao.campaigns.services import task_update
from anbiao.cases.demo import build_cases_demo
from anbiao.core import audit
from anbiao.core.uscc import ALPHABET, check_character
from anbiao.enterprises import services
from anbiao.enterprises.choices import EntryReason, FactSource, Industry, OperatingStatus
from anbiao.enterprises.models import Enterprise, RiskTag
from anbiao.enterprises.sizing import classify_size
from anbiao.supervision.demo import build_supervision_demo
from anbiao.surveys import services as survey_services
from anbiao.surveys.models import SurveyRound
from anbiao.training.demo import build_training_demo

DEMO_PASSWORD = "Anbiao@2025"  # noqa: S105 - printed for the demo logins, documented

COMMUNITIES = {
    "350213007": ["民安社区", "大宅社区", "洪前社区", "小盈社区", "山亭社区", "桐梓社区"],
    "350213002": ["新店社区", "东界社区", "洪厝社区"],
    "350213003": ["马巷社区", "五星社区", "舫山社区"],
}
ENTERPRISE_COUNTS = {"350213007": 150, "350213002": 32, "350213003": 26}

BRANDS = list("恒兴鑫泰宏达永盛华丰瑞祥金源联创佳鸿隆昌顺安腾越嘉润宝利新和众诚天宇卓远锦")
INDUSTRY_WORDS = {
    # 金属制品 and 钢结构 are 机械 in the 工贸 classification (GB/T 4754 C33, C34).
    Industry.MACHINERY: ["机械", "精密机械", "五金制品", "模具", "金属制品", "钢结构", "汽车配件"],
    Industry.LIGHT_INDUSTRY: ["食品", "包装材料", "家具", "塑胶制品", "印刷", "纸制品", "鞋业"],
    Industry.BUILDING_MATERIALS: ["石材", "新型建材", "混凝土制品", "陶瓷", "玻璃制品"],
    Industry.TEXTILE: ["纺织", "服饰", "针织", "织造"],
    Industry.METALLURGY: ["炼钢", "轧钢", "铁合金"],
    Industry.NONFERROUS: ["铝业", "铜材", "有色金属制品"],
    Industry.TRADE: ["贸易", "仓储物流", "商贸"],
    Industry.TOBACCO: ["烟草物流"],
}
INDUSTRY_WEIGHTS = {
    Industry.MACHINERY: 30,
    Industry.LIGHT_INDUSTRY: 30,
    Industry.BUILDING_MATERIALS: 12,
    Industry.TEXTILE: 8,
    Industry.METALLURGY: 7,
    Industry.NONFERROUS: 4,
    Industry.TRADE: 8,
    Industry.TOBACCO: 1,
}
INDUSTRY_CODES = {
    Industry.MACHINERY: "C3311",
    Industry.LIGHT_INDUSTRY: "C1391",
    Industry.TEXTILE: "C1713",
    Industry.BUILDING_MATERIALS: "C3032",
    Industry.METALLURGY: "C3391",
    Industry.NONFERROUS: "C3252",
    Industry.TRADE: "F5179",
    Industry.TOBACCO: "F5128",
}
RISKS_BY_INDUSTRY = {
    Industry.MACHINERY: ["dust_explosion", "lifting", "hot_work", "confined_space"],
    Industry.LIGHT_INDUSTRY: [
        "dust_explosion",
        "ammonia_refrigeration",
        "confined_space",
        "hazardous_chemicals",
    ],
    Industry.BUILDING_MATERIALS: ["dust_explosion", "lifting", "confined_space"],
    Industry.TEXTILE: ["dust_explosion", "hazardous_chemicals"],
    Industry.METALLURGY: ["metal_smelting", "high_temperature_melt", "lifting", "flammable_gas"],
    Industry.NONFERROUS: ["metal_smelting", "high_temperature_melt", "dust_explosion"],
    Industry.TRADE: ["ammonia_refrigeration", "lifting"],
    Industry.TOBACCO: ["lifting"],
}
SURNAMES = list("陈林黄张李王吴刘蔡杨郑许洪曾叶苏庄何周谢")
GIVEN = list("志明伟强建华文斌俊杰丽芳秀英海燕国庆鹏辉晓东雅婷振宇")
ROADS = ["翔安北路", "民安大道", "新店路", "舫山南路", "马巷大道", "翔安西路", "内官路", "桐梓路"]
EXIT_REASONS = {
    OperatingStatus.SUSPENDED: "订单不足,停产整顿",
    OperatingStatus.DEREGISTERED: "企业已注销登记",
    OperatingStatus.MOVED_OUT: "整体搬迁至同安区",
}
NOT_ELIGIBLE_REASONS = ["仅为办公场所,无生产作业", "拟于年内搬迁", "正在办理注销", "生产线停建改造"]


@dataclass
class DemoSummary:
    regions: int = 0
    enterprises: int = 0
    users: int = 0
    cases: int = 0
    certificates: int = 0


def demo_uscc(rng: random.Random, region_code: str) -> str:
    body = "91" + region_code[:6] + "MA" + "".join(rng.choice(ALPHABET[:31]) for _ in range(7))
    return body + check_character(body)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(["135", "136", "138", "139", "150", "158", "159", "186", "189"]) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def _communities(summary: DemoSummary) -> dict[str, list[Region]]:
    result = {}
    for parent_code, names in COMMUNITIES.items():
        parent = Region.objects.get(code=parent_code)
        result[parent_code] = []
        for index, name in enumerate(names, start=1):
            region, created = Region.objects.get_or_create(
                code=f"{parent_code}{index:03d}",
                defaults={
                    "name": name,
                    "level": RegionLevel.COMMUNITY,
                    "parent": parent,
                    "sort_order": index,
                },
            )
            summary.regions += created
            result[parent_code].append(region)
    return result


def _enterprise_data(rng: random.Random, region: Region, used_names: set[str]) -> dict:
    industry = rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()))[0]
    while True:
        name = (
            f"厦门{rng.choice(BRANDS)}{rng.choice(BRANDS)}"
            f"{rng.choice(INDUSTRY_WORDS[industry])}有限公司"
        )
        if name not in used_names:
            used_names.add(name)
            break
    employees = int(
        rng.choices(
            [rng.randint(3, 19), rng.randint(20, 120), rng.randint(300, 500)], weights=[55, 40, 5]
        )[0]
    )
    revenue = Decimal(rng.randint(80, 1800) if employees < 300 else rng.randint(3000, 9000))
    baseline = date(2025, 2, 28)
    late = rng.random() < 0.15
    # Most were in the ledger when the first survey closed, some since 2022 (and so could hold
    # a certificate from before the campaign); 15% entered later (新增企业).
    early = baseline - timedelta(days=rng.choice([0, 0, rng.randint(400, 1100)]))
    ledger_since = baseline + timedelta(days=rng.randint(150, 420)) if late else early
    eligible = rng.choices([True, False, None], weights=[72, 10, 18])[0]
    return {
        "name": name,
        "uscc": demo_uscc(rng, region.code),
        "region": region,
        "address": f"厦门市翔安区{region.parent.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
        "industry": industry,
        "industry_code": INDUSTRY_CODES[industry],
        "employees": employees,
        "revenue": revenue,
        "size": classify_size(industry, employees, revenue),
        "in_torch_zone": rng.random() < 0.08,
        "ledger_since": ledger_since,
        "principal_name": _person(rng),
        "principal_phone": _phone(rng),
        "safety_manager_name": _person(rng),
        "safety_manager_phone": _phone(rng),
        "eligible": eligible,
        "eligibility_reason": rng.choice(NOT_ELIGIBLE_REASONS) if eligible is False else "",
    }


BASELINE = date(2025, 2, 28)
NEW_REASONS = [EntryReason.ESTABLISHED, EntryReason.MOVED_IN, EntryReason.SURVEY]


def _enterprises(rng: random.Random, communities, summary: DemoSummary) -> None:
    # Draw the whole plan first, independent of what the database holds, so a second run
    # draws the same enterprises and finds them all present.
    tags = {tag.code: tag for tag in RiskTag.objects.all()}
    used_names: set[str] = set()
    plan = []
    for parent_code, count in ENTERPRISE_COUNTS.items():
        for _ in range(count):
            data = _enterprise_data(rng, rng.choice(communities[parent_code]), used_names)
            risk_codes = rng.sample(RISKS_BY_INDUSTRY[data["industry"]], k=rng.choice((0, 1, 1, 2)))
            exit_status = None
            if rng.random() < 0.06:
                exit_status = rng.choice(
                    [
                        OperatingStatus.SUSPENDED,
                        OperatingStatus.DEREGISTERED,
                        OperatingStatus.MOVED_OUT,
                    ]
                )
            plan.append((data, risk_codes, exit_status, rng.randint(60, 300)))
    existing = set(Enterprise.objects.values_list("uscc", flat=True))
    for data, risk_codes, exit_status, days in plan:
        if data["uscc"] in existing:
            continue
        enterprise = services.enterprise_create(
            actor=None,
            data=data,
            risk_tags=[tags[c] for c in risk_codes if c in tags],
            effective_on=data["ledger_since"],
            source=FactSource.IMPORT,
        )
        summary.enterprises += 1
        if data["ledger_since"] > BASELINE:
            # Why a late entry is new; picked from its USCC so the random draw stays the same.
            reason = NEW_REASONS[sum(map(ord, data["uscc"])) % len(NEW_REASONS)]
            services.enterprise_record_entry_reason(
                actor=None, enterprise=enterprise, reason=reason, on=data["ledger_since"]
            )
        if exit_status:
            services.enterprise_change_status(
                actor=None,
                enterprise=enterprise,
                status=exit_status,
                on=data["ledger_since"] + timedelta(days=days),
                reason=EXIT_REASONS[exit_status],
            )


def _user(username: str, *, summary: DemoSummary, **fields) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        summary.users += 1
    else:
        for key, value in fields.items():
            setattr(user, key, value)
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _users(summary: DemoSummary) -> list[User]:
    district = Region.objects.get(code="350213")
    minan = Region.objects.get(code="350213007")
    xindian = Region.objects.get(code="350213002")
    first = (
        Enterprise.objects.filter(
            region__path__startswith=minan.path, status=OperatingStatus.OPERATING
        )
        .order_by("uscc")
        .first()
    )
    agency, _ = Agency.objects.get_or_create(
        name="厦门安泰安全技术服务有限公司",
        defaults={
            "uscc": "91350200MA2Y0AB1CD"[:17] + check_character("91350200MA2Y0AB1C"),
            "contact_name": "郭海峰",
            "contact_phone": "0592-7210000",
        },
    )
    for enterprise in Enterprise.objects.filter(region__path__startswith=minan.path).order_by(
        "uscc"
    )[1:13]:
        AgencyAssignment.objects.get_or_create(
            agency=agency, enterprise=enterprise, start_on=date(2025, 7, 1)
        )
    return [
        _user(
            "admin",
            summary=summary,
            role=Role.ADMIN,
            region=None,
            full_name="系统管理员",
            is_staff=True,
            is_superuser=True,
        ),
        _user(
            "quzhuanban",
            summary=summary,
            role=Role.DISTRICT,
            region=district,
            full_name="区专班 王建国",
            department="翔安区应急管理局",
        ),
        _user(
            "dingji",
            summary=summary,
            role=Role.GRADING,
            region=district,
            full_name="定级部门 郑海燕",
            department="翔安区应急管理局标准化定级科",
        ),
        _user(
            "minan",
            summary=summary,
            role=Role.STATION,
            region=minan,
            full_name="民安安监站 林志明",
            department="民安街道安监站",
        ),
        _user(
            "xindian",
            summary=summary,
            role=Role.STATION,
            region=xindian,
            full_name="新店安监站 陈晓东",
            department="新店街道安监站",
        ),
        _user(
            "hangye",
            summary=summary,
            role=Role.DEPARTMENT,
            region=minan,
            full_name="经济发展办 黄丽芳",
            department="民安街道经济发展办",
        ),
        _user(
            "qiye",
            summary=summary,
            role=Role.ENTERPRISE,
            enterprise=first,
            full_name=f"{first.name} 安全管理员" if first else "企业用户",
        ),
        _user("jigou", summary=summary, role=Role.AGENCY, agency=agency, full_name="安泰 郭海峰"),
        _user("zhuanjia", summary=summary, role=Role.EXPERT, full_name="曾国庆"),
    ]


def _survey(rng: random.Random, station: User) -> None:
    """An open survey round of 民安 with about two thirds of its findings recorded."""
    name = "2026年下半年摸排"
    if SurveyRound.objects.filter(name=name, region=station.region).exists():
        return
    survey_round = survey_services.survey_round_create(
        actor=station,
        name=name,
        region=station.region,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 12, 31),
        surveyors="林志明、陈晓东",
    )
    for finding in survey_round.findings.select_related("enterprise").order_by("id"):
        if rng.random() > 0.66:
            continue
        enterprise = finding.enterprise
        eligible = enterprise.eligible if rng.random() > 0.1 else not enterprise.eligible
        survey_services.survey_finding_record(
            actor=station,
            finding=finding,
            data={
                "status": enterprise.status,
                "size": enterprise.size,
                "employees": enterprise.employees,
                "eligible": eligible,
                "eligibility_reason": "" if eligible else rng.choice(NOT_ELIGIBLE_REASONS),
                "surveyor": rng.choice(["林志明", "陈晓东"]),
                # a survey date is never in the future (a demo built before November)
                "surveyed_on": min(
                    date(2026, 7, 1) + timedelta(days=rng.randint(0, 140)),
                    date.today(),  # noqa: DTZ011 - demo data follows the calendar day
                ),
            },
        )


def _task_progress(station: User) -> None:
    """The plan's tasks whose deadline has passed are done (all but the cross-learning one, and
    the survey tasks whose round was not closed)."""
    today = date.today()  # noqa: DTZ011 - demo data follows the calendar day
    closed_by = list(
        SurveyRound.objects.filter(status=SurveyRound.Status.CLOSED).values_list(
            "period_end", flat=True
        )
    )
    for task in Task.objects.filter(
        campaign__slug="minan-2025", deadline__lt=today, updates__isnull=True
    ):
        if task.code.startswith("S") and not any(
            abs((end - task.deadline).days) <= 31 for end in closed_by
        ):
            continue  # a survey task is done when its round is closed, not by the calendar
        if task.code == "T07":
            task_update(
                actor=station,
                task=task,
                status="in_progress",
                on=task.deadline,
                note="已组织赴新店街道观摩1次,计划再组织1次",
            )
            continue
        task_update(
            actor=station,
            task=task,
            status="done",
            on=task.deadline - timedelta(days=3),
            note="已按方案完成",
        )


@transaction.atomic
def build_demo(seed: int = 2025) -> tuple[DemoSummary, list[User]]:
    """Create (or complete) the demo data set; returns what was added and the demo users."""
    with audit.source("演示数据"):
        return _build_demo(seed)


def _build_demo(seed: int) -> tuple[DemoSummary, list[User]]:
    rng = random.Random(seed)
    summary = DemoSummary()
    communities = _communities(summary)
    _enterprises(rng, communities, summary)
    users = _users(summary)
    cases = build_cases_demo(random.Random(seed + 1))
    summary.cases, summary.certificates = cases.cases, cases.certificates
    build_agencies_demo(random.Random(seed + 3))
    build_benchmarks_demo(random.Random(seed + 4))
    build_training_demo(random.Random(seed + 5))
    build_supervision_demo(random.Random(seed + 6))
    station = next(u for u in users if u.username == "minan")
    _survey(random.Random(seed + 2), station)
    _task_progress(station)
    from anbiao.dispatches.demo import build_dispatches_demo, run_schedule_once

    build_dispatches_demo()
    from anbiao.filings.demo import build_filings_demo

    build_filings_demo()
    run_schedule_once()
    return summary, users
