"""Demo data for supervision: the class of every 民安 enterprise evaluated today, this year's
inspection plan of 民安街道, four finished inspections (with hazards, one of them a 重大隐患 under
listed supervision, one already closed), one draft inspection for the phone form, and the risk
register of the demo enterprise user's enterprise. Idempotent: nothing is added twice (the
plan, inspections and risk points are looked up first)."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import Region, User
from anbiao.enterprises.models import Enterprise
from anbiao.supervision import services
from anbiao.supervision.models import Checklist, Inspection, InspectionPlan, RiskPoint

MINAN = "350213007"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FINDINGS = {
    "G2.1": ("成品仓库安全出口被货物堵塞", "成品仓库"),
    "G2.3": ("车间配电箱门未关闭,部分线路私拉乱接", "一车间"),
    "G3.2": ("3具灭火器压力不足", "办公楼一层"),
    "D2.2": ("布袋除尘器未设置泄爆装置", "打磨车间"),
}
RISKS = [
    ("除尘系统", "打磨车间", "red", "粉尘爆炸", "除尘器设泄爆片;每班清扫积尘;每周检查锁气卸灰装置"),
    ("配电室", "厂区东侧", "orange", "触电、火灾", "持证电工每日巡检;配电室上锁;配置干粉灭火器"),
    ("冲压设备", "一车间", "yellow", "机械伤害", "双手按钮和光电保护;班前检查;严禁拆除防护装置"),
    ("办公区域", "办公楼", "blue", "火灾", "每月检查消防器材;疏散通道保持畅通"),
]


@dataclass
class SupervisionDemoSummary:
    inspections: int = 0
    hazards: int = 0
    risk_points: int = 0


def _inspect(station, enterprise, checklist, on, fails, summary) -> None:
    if Inspection.objects.filter(enterprise=enterprise, checklist=checklist).exists():
        return
    inspection = services.inspection_start(
        actor=station,
        enterprise=enterprise,
        checklist=checklist,
        inspected_on=on,
        inspectors="林志明、陈晓东",
    )
    for item in checklist.items.all():
        finding = FINDINGS.get(item.code) if item.code in fails else None
        services.inspection_save_result(
            actor=station,
            inspection=inspection,
            item=item,
            outcome="fail" if finding else "pass",
            note=finding[0] if finding else "",
            location=finding[1] if finding else "",
        )
    hazards = services.inspection_finish(
        actor=station,
        inspection=inspection,
        contact_name=enterprise.safety_manager_name or enterprise.principal_name or "企业安全员",
        contact_phone=enterprise.safety_manager_phone
        or enterprise.principal_phone
        or "13800000000",
        summary="现场检查发现的问题已当场告知企业,责令限期整改",
    )
    summary.inspections += 1
    summary.hazards += len(hazards)
    return hazards


@transaction.atomic
def build_supervision_demo(rng: random.Random) -> SupervisionDemoSummary:
    summary = SupervisionDemoSummary()
    station = User.objects.filter(username="minan").first()
    qiye = User.objects.filter(username="qiye").first()
    region = Region.objects.filter(code=MINAN).first()
    if station is None or region is None:
        return summary
    today = timezone.localdate()
    enterprises = list(
        Enterprise.objects.filter(
            region__path__startswith=region.path, status="operating"
        ).order_by("pk")
    )
    if not enterprises:
        return summary
    services.classes_refresh(
        actor=None,
        enterprises=Enterprise.objects.filter(pk__in=[e.pk for e in enterprises]),
        on=today,
    )
    if not InspectionPlan.objects.filter(region=region, year=today.year).exists():
        services.plan_generate(actor=None, region=region, year=today.year, inspector="林志明")
    general = Checklist.objects.filter(code="gm-general").order_by("-version").first()
    dust = Checklist.objects.filter(code="dust-explosion").order_by("-version").first()
    if general is None or dust is None:
        return summary
    own = qiye.enterprise if qiye and qiye.enterprise_id else enterprises[0]
    others = [e for e in enterprises if e.pk != own.pk]
    rng.shuffle(others)
    start = max(date(today.year, 1, 1), today - timedelta(days=200))
    plan = [
        (own, general, start + timedelta(days=20), ("G2.1", "G3.2")),
        *[
            (e, general, start + timedelta(days=40 + 30 * i), ("G2.3",) if i % 2 else ())
            for i, e in enumerate(others[:2])
        ],
        *[(e, dust, start + timedelta(days=90), ("D2.2",)) for e in others[2:3]],
    ]
    closed = None
    for enterprise, checklist, on, fails in plan:
        hazards = _inspect(station, enterprise, checklist, min(on, today), fails, summary)
        if hazards and enterprise == own:
            closed = hazards[0]
    if closed is not None:
        # One hazard of the demo enterprise went round the loop: rectified, reviewed, closed.
        found = closed.found_on
        services.hazard_transition(
            actor=qiye, hazard=closed, kind="start", on=min(found + timedelta(days=1), today)
        )
        services.hazard_transition(
            actor=qiye,
            hazard=closed,
            kind="request_review",
            on=min(found + timedelta(days=6), today),
            note="货物已清理,出口保持畅通",
            files=[SimpleUploadedFile("整改后.png", PNG)],
        )
        services.hazard_transition(
            actor=station, hazard=closed, kind="pass", on=min(found + timedelta(days=8), today)
        )
    if others[3:4] and not Inspection.objects.filter(enterprise=others[3]).exists():
        services.inspection_start(
            actor=station,
            enterprise=others[3],
            checklist=general,
            inspected_on=today,
            inspectors="林志明",
        )
    if not RiskPoint.objects.filter(enterprise=own).exists():
        for name, location, colour, factors, controls in RISKS:
            services.risk_point_save(
                actor=None,
                enterprise=own,
                data={
                    "name": name,
                    "location": location,
                    "colour": colour,
                    "factors": factors,
                    "controls": controls,
                    "owner": own.safety_manager_name or "安全管理员",
                    "review_on": date(today.year, 12, 31),
                },
            )
            summary.risk_points += 1
    return summary
