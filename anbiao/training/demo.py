"""Demo data for training: the 2025–2026 sessions of 民安 (宣贯, the 五项岗位 training, the site
meeting, an observation visit) with attendance that reaches part of the ledger — some enterprises
with both their principal and safety manager, some with one, some never. Sessions dated after
`today` are left out. Idempotent: a session (same topic and date) that exists is left alone."""

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import Region, User
from anbiao.enterprises.ledger import eligible
from anbiao.enterprises.models import Enterprise
from anbiao.training import services
from anbiao.training.models import Session

MINAN = "350213007"
SESSIONS = [
    (
        "《厦门市安全生产标准化评审指南》宣贯会",
        "publicity",
        date(2025, 4, 18),
        "2",
        "民安街道办事处三楼会议室",
        "区应急局 王建国",
        "评审指南解读课件;标准化提升工作专项行动实施方案",
    ),
    (
        "“五项岗位”关键人员标准化培训(第一期)",
        "training",
        date(2025, 6, 20),
        "4",
        "民安街道文体中心",
        "厦门安泰安全技术服务有限公司 郭海峰",
        "GB/T 33000-2016 八大要素讲义;小微企业评定标准",
    ),
    (
        "“五项岗位”关键人员标准化培训(第二期)",
        "training",
        date(2025, 9, 12),
        "4",
        "民安街道文体中心",
        "市安全生产专家组 曾国庆",
        "风险分级管控与隐患排查治理讲义",
    ),
    (
        "标杆企业创建试点现场会",
        "meeting",
        date(2025, 12, 18),
        "3",
        "标杆培植对象企业",
        "民安街道安监站 林志明",
        "试点企业创建做法汇报材料",
    ),
    (
        "新店街道标杆企业交叉学习观摩",
        "observation",
        date(2026, 5, 12),
        "3",
        "新店街道",
        "新店街道安监站",
        "观摩路线和要点",
    ),
    (
        "“五项岗位”关键人员标准化培训(第三期)",
        "training",
        date(2026, 9, 25),
        "4",
        "民安街道文体中心",
        "厦门正衡安全评价有限公司 蔡振宇",
        "年度自评与持续改进讲义",
    ),
]
OFFICIALS = [
    ("王建国", "leader", "翔安区应急管理局"),
    ("黄丽芳", "leader", "民安街道办事处"),
    ("林志明", "supervisor", "民安街道安监站"),
    ("陈晓东", "supervisor", "民安街道安监站"),
    ("吴海燕", "supervisor", "民安街道经济发展办"),
    ("曾国庆", "expert", "厦门市安全生产专家组"),
]


@dataclass
class TrainingDemoSummary:
    sessions: int = 0
    attendances: int = 0


@transaction.atomic
def build_training_demo(rng: random.Random, today: date | None = None) -> TrainingDemoSummary:
    """Create the demo sessions and who attended them."""
    today = today or timezone.localdate()
    summary = TrainingDemoSummary()
    minan = Region.objects.get(code=MINAN)
    station = User.objects.filter(username="minan").first()
    ledger = list(eligible(Enterprise.objects.all(), date(2025, 6, 1), minan).order_by("uscc"))
    # Each enterprise's fate: both trained (55%), principal only, manager only, never.
    fates = {
        e.pk: rng.choices(["both", "principal", "manager", "never"], weights=[55, 12, 10, 23])[0]
        for e in ledger
    }
    trainings = [s for s in SESSIONS if s[1] == "training"]
    plan_for = {e.pk: rng.choice(trainings)[2] for e in ledger}
    for topic, kind, held_on, hours, place, trainer, materials in SESSIONS:
        if held_on > today or Session.objects.filter(topic=topic, held_on=held_on).exists():
            continue
        session = services.session_create(
            actor=station,
            data={
                "topic": topic,
                "kind": kind,
                "held_on": held_on,
                "hours": Decimal(hours),
                "region": minan,
                "organiser": "民安街道安监站",
                "trainer": trainer,
                "place": place,
                "materials": materials,
            },
        )
        summary.sessions += 1
        people = [
            {"name": n, "role": r, "unit": u}
            for n, r, u in OFFICIALS
            if kind != "observation" or r == "supervisor"
        ]
        for enterprise in ledger:
            fate = fates[enterprise.pk]
            if kind == "training" and plan_for[enterprise.pk] == held_on and fate != "never":
                if fate in ("both", "principal") and enterprise.principal_name:
                    people.append(_person(enterprise, "principal"))
                if fate in ("both", "manager") and enterprise.safety_manager_name:
                    people.append(_person(enterprise, "safety_manager"))
            elif kind == "publicity" and fate != "never" and rng.random() < 0.5:
                people.append(_person(enterprise, "principal"))
            elif kind in ("meeting", "observation") and fate == "both" and rng.random() < 0.3:
                people.append(_person(enterprise, "safety_manager"))
        seen, unique = set(), []
        for person in people:
            key = (person["name"], getattr(person.get("enterprise"), "pk", None), person["unit"])
            if key not in seen:
                seen.add(key)
                unique.append(person)
        summary.attendances += services.attendance_bulk_add(
            actor=station, session=session, people=unique
        )
    return summary


def _person(enterprise: Enterprise, role: str) -> dict:
    name = enterprise.principal_name if role == "principal" else enterprise.safety_manager_name
    phone = enterprise.principal_phone if role == "principal" else enterprise.safety_manager_phone
    return {
        "name": name,
        "role": role,
        "enterprise": enterprise,
        "unit": "",
        "position": "总经理" if role == "principal" else "安全管理员",
        "phone": phone,
    }
