"""Demo data for agencies and experts: the registry (the demo's 安泰 and 正衡 plus one more),
experts (the demo login 曾国庆 among them) and dated guidance records of 安泰 at the enterprises it
serves. Deterministic for a given `rng` and idempotent: agencies by name, experts by name and
phone, guidance records only for assignments that have none yet."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies import services
from anbiao.agencies.models import Agency, AgencyAssignment, Expert, GuidanceRecord

AGENCIES = [
    {
        "name": "厦门安泰安全技术服务有限公司",
        "qualification": "安全生产标准化咨询、安全培训",
        "qualification_no": "闽安咨〔2024〕017号",
        "qualification_expires_on": date(2027, 12, 31),
        "specialties": "machinery,light_industry,building_materials",
        "address": "厦门市翔安区民安大道318号",
        "contact_name": "郭海峰",
        "contact_phone": "0592-7210000",
    },
    {
        "name": "厦门正衡安全评价有限公司",
        "qualification": "安全评价机构资质(乙级)、标准化评审",
        "qualification_no": "APJ-(闽)-0412",
        "qualification_expires_on": date(2028, 6, 30),
        "specialties": "machinery,light_industry,textile,metallurgy,nonferrous,trade",
        "address": "厦门市思明区湖滨南路66号",
        "contact_name": "蔡振宇",
        "contact_phone": "0592-5550000",
    },
    {
        "name": "福建闽安达安全科技有限公司",
        "qualification": "安全生产标准化咨询",
        "qualification_no": "闽安咨〔2023〕041号",
        "qualification_expires_on": date(2026, 3, 31),
        "specialties": "textile,trade,tobacco",
        "address": "厦门市集美区杏林湾路12号",
        "contact_name": "苏雅婷",
        "contact_phone": "0592-6018800",
    },
]
EXPERTS = [
    (
        "曾国庆",
        "13906001234",
        "厦门市安全生产专家组",
        "高级工程师",
        "注册安全工程师、省级安全生产专家",
        "machinery,metallurgy",
        None,
    ),
    (
        "洪秀英",
        "13806005678",
        "厦门正衡安全评价有限公司",
        "工程师",
        "注册安全工程师",
        "light_industry,textile",
        "厦门正衡安全评价有限公司",
    ),
    (
        "许振宇",
        "15959201122",
        "集美大学",
        "副教授",
        "市级安全生产专家",
        "building_materials,nonferrous",
        None,
    ),
    (
        "叶俊杰",
        "18959203344",
        "厦门安泰安全技术服务有限公司",
        "工程师",
        "注册安全工程师",
        "machinery",
        "厦门安泰安全技术服务有限公司",
    ),
]
CONTENTS = [
    (
        "对照评定标准开展差距诊断,梳理需补充的制度清单",
        "安全生产责任制未覆盖全部岗位;隐患排查台账不完整",
        "一周内补齐岗位责任清单,建立隐患排查治理台账",
    ),
    (
        "指导编制安全生产标准化管理制度和操作规程",
        "部分设备操作规程缺失;应急预案未演练",
        "按设备逐台编制操作规程,本季度组织一次应急演练",
    ),
    (
        "现场检查作业环境和设备设施",
        "砂轮机防护罩缺失;配电箱未上锁;消防通道堆放杂物",
        "立即整改,整改后拍照反馈",
    ),
    (
        "指导开展风险辨识,建立风险分级管控清单",
        "风险清单未标明管控层级",
        "按“四色图”要求完善风险分布图",
    ),
    (
        "协助企业开展自评,复核自评材料",
        "培训记录缺少签到和考核",
        "补充培训签到表和考核试卷后提交自评报告",
    ),
]


@dataclass
class AgenciesDemoSummary:
    agencies: int = 0
    experts: int = 0
    guidance_records: int = 0


@transaction.atomic
def build_agencies_demo(rng: random.Random, today: date | None = None) -> AgenciesDemoSummary:
    """Fill in the agency registry, the expert registry and 安泰's guidance records."""
    today = today or timezone.localdate()
    summary = AgenciesDemoSummary()
    agencies = {}
    for data in AGENCIES:
        agency = Agency.objects.filter(name=data["name"]).first()
        if agency is None or not agency.qualification:
            agency, _ = services.agency_save(actor=None, data=data, agency=agency)
            summary.agencies += 1
        agencies[agency.name] = agency
    expert_user = User.objects.filter(username="zhuanjia", role=Role.EXPERT).first()
    for name, phone, employer, title, qualification, specialties, agency in EXPERTS:
        if Expert.objects.filter(name=name, phone=phone).exists():
            continue
        services.expert_save(
            actor=None,
            data={
                "name": name,
                "phone": phone,
                "employer": employer,
                "title": title,
                "qualification": qualification,
                "specialties": specialties,
                "agency": agencies.get(agency),
                "user": expert_user if name == "曾国庆" else None,
            },
        )
        summary.experts += 1
    for assignment in AgencyAssignment.objects.select_related("agency", "enterprise").order_by(
        "agency__name", "enterprise__uscc", "start_on"
    ):
        visits = rng.randint(1, 3)
        dates = sorted(
            assignment.start_on + timedelta(days=rng.randint(10, 420)) for _ in range(visits)
        )
        picks = [rng.choice(CONTENTS) for _ in range(visits)]
        if GuidanceRecord.objects.filter(assignment=assignment).exists():
            continue
        for on, (content, issues, suggestions) in zip(dates, picks, strict=True):
            if on > today or (assignment.end_on and on > assignment.end_on):
                continue
            services.guidance_record(
                actor=None,
                agency=assignment.agency,
                enterprise=assignment.enterprise,
                visited_on=on,
                staff=assignment.agency.contact_name,
                content=content,
                issues=issues,
                suggestions=suggestions,
            )
            summary.guidance_records += 1
    return summary
