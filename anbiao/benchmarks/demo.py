"""Demo data for benchmarks: two 民安 candidates chosen in October 2025 with 安泰 as technical
support; one goes through the pilots, holds the site meeting (现场会) in December 2025 and is
established — so in the observation catalog — in June 2026; the other is in its running pilot.
Plus one cross-learning visit to a benchmark of another 街道. Steps dated after `today` are left
out. Idempotent: a benchmark or visit that exists is left alone."""

import random
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import Region, User
from anbiao.agencies.models import Agency
from anbiao.benchmarks import services
from anbiao.benchmarks.models import Benchmark, CrossVisit
from anbiao.enterprises.ledger import eligible
from anbiao.enterprises.models import Enterprise

MINAN = "350213007"
PLANS = [
    {
        "chosen_on": date(2025, 10, 15),
        "reason": "管理基础扎实,主要负责人重视,已完成标准化自评;行业代表性强,做法可复制推广",
        "steps": [
            ("pilot_create", date(2025, 11, 5), "制定创建方案,完成制度文件和岗位责任清单"),
            ("pilot_run", date(2026, 1, 15), "制度运行满两个月,开展隐患排查和应急演练"),
            ("pilot_improve", date(2026, 4, 10), "对照评审专家意见完善风险四色图和班组安全活动"),
            ("established", date(2026, 6, 20), "通过区专班验收,完成标杆企业创建"),
        ],
        "meeting": (date(2025, 12, 18), 42),
        "catalog": {
            "highlights": "一是“一岗一清单”压实全员安全生产责任;二是风险四色图与隐患排查"
            "二维码结合,班组每日扫码巡检;三是粉尘涉爆除尘系统在线监测,异常自动报警。",
            "visit_arrangement": "每周二、周四上午9:00—11:00,每批不超过20人,请提前3个工作日预约",
        },
    },
    {
        "chosen_on": date(2025, 10, 28),
        "reason": "轻工行业小微企业典型,生产工艺简单,整改意愿强,适合打造“小而精”样板",
        "steps": [
            ("pilot_create", date(2025, 11, 20), "完成差距诊断,制定整改计划"),
            ("pilot_run", date(2026, 3, 2), "制度体系试运行,每月开展一次自查"),
        ],
        "meeting": None,
        "catalog": {},
    },
]
ATTENDEES = (
    "翔安区应急管理局 王建国\n民安街道办事处 分管领导\n民安街道安监站 林志明、陈晓东\n"
    "厦门安泰安全技术服务有限公司 郭海峰\n辖区应创企业主要负责人及安全管理人员35人"
)


@dataclass
class BenchmarksDemoSummary:
    benchmarks: int = 0
    steps: int = 0
    visits: int = 0


def _candidates() -> list[Enterprise]:
    """Two operating, eligible 民安 enterprises served by 安泰 (else any eligible ones)."""
    minan = Region.objects.get(code=MINAN)
    ledger = eligible(Enterprise.objects.all(), date(2025, 10, 15), minan)
    served = ledger.filter(agency_assignments__agency__name__startswith="厦门安泰").distinct()
    picked = list(served.order_by("uscc")[:2])
    if len(picked) < 2:
        picked += list(
            ledger.exclude(pk__in=[e.pk for e in picked]).order_by("uscc")[: 2 - len(picked)]
        )
    return picked


@transaction.atomic
def build_benchmarks_demo(rng: random.Random, today: date | None = None) -> BenchmarksDemoSummary:
    """Create the demo benchmarks, their steps and a cross-learning visit."""
    today = today or timezone.localdate()
    summary = BenchmarksDemoSummary()
    station = User.objects.filter(username="minan").first()
    agency = Agency.objects.filter(name="厦门安泰安全技术服务有限公司").first()
    minan = Region.objects.get(code=MINAN)
    if Benchmark.objects.filter(enterprise__region__path__startswith=minan.path).exists():
        enterprises = []  # already built
    else:
        enterprises = _candidates()
    for enterprise, plan in zip(enterprises, PLANS, strict=False):
        if plan["chosen_on"] > today:
            continue
        benchmark = services.benchmark_choose(
            actor=station,
            enterprise=enterprise,
            chosen_on=plan["chosen_on"],
            reason=plan["reason"],
            agency=agency,
        )
        summary.benchmarks += 1
        meeting = plan["meeting"]
        for stage, on, note in plan["steps"]:
            if meeting and meeting[0] <= on and meeting[0] <= today:
                services.benchmark_site_meeting(
                    actor=station,
                    benchmark=benchmark,
                    on=meeting[0],
                    attendees=ATTENDEES,
                    attendee_count=meeting[1],
                    place=f"{enterprise.name}会议室及生产车间",
                    note="组织创建试点现场会,观摩制度建设和现场管理做法",
                )
                meeting = None
            if on > today:
                break
            services.benchmark_advance(
                actor=station, benchmark=benchmark, stage=stage, on=on, note=note
            )
            summary.steps += 1
        if plan["catalog"]:
            services.benchmark_update_catalog(
                actor=station,
                benchmark=benchmark,
                data={
                    **plan["catalog"],
                    "visit_contact": enterprise.safety_manager_name,
                    "visit_phone": enterprise.safety_manager_phone,
                },
            )
    visit_on = date(2026, 5, 12)
    if visit_on <= today and not CrossVisit.objects.filter(region=minan).exists():
        ledger = eligible(Enterprise.objects.all(), visit_on, minan).order_by("name_pinyin")
        goers = list(ledger[:40])
        goers = rng.sample(goers, k=min(6, len(goers)))
        services.cross_visit_create(
            actor=station,
            visited_on=visit_on,
            host_name="厦门新店标杆示范食品有限公司",
            host_region="翔安区新店街道",
            region=minan,
            organiser="林志明",
            participants="民安街道安监站 林志明、陈晓东;"
            + "、".join(f"{e.name} {e.safety_manager_name}" for e in goers),
            participant_count=len(goers) + 2,
            enterprises=goers,
            takeaways="学习了冷库涉氨区域的分区管控和班前安全讲话做法;"
            "对照查找出本辖区企业在应急物资管理、外包作业管理方面的不足。",
        )
        summary.visits += 1
    return summary
