"""Demo data for 督办 and the bell: four 督办单 of the 民安 station — one accepted after being
returned once, one handed in and waiting for acceptance, one sent to the 经济发展办 in
progress, one overdue — then one run of the schedule, so every demo login finds reminders under
the bell. Idempotent: nothing is added when the station has issued 督办单 already."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from anbiao.accounts.models import User
from anbiao.dispatches import services
from anbiao.dispatches.models import Dispatch


def _issue(station, on, **fields):
    return services.dispatch_issue(actor=station, on=on, **fields)


@transaction.atomic
def build_dispatches_demo() -> int:
    """Create the demo 督办单; returns how many were added."""
    station = User.objects.filter(username="minan").first()
    qiye = User.objects.filter(username="qiye").first()
    hangye = User.objects.filter(username="hangye").first()
    if station is None or qiye is None or qiye.enterprise is None:
        return 0
    if Dispatch.objects.filter(issuer_region=station.region).exists():
        return 0
    today = timezone.localdate()
    enterprise = qiye.enterprise
    done = _issue(
        station,
        today - timedelta(days=40),
        recipient_kind="enterprise",
        enterprise=enterprise,
        subject="粉尘涉爆除尘系统隐患整改",
        content="经检查,你单位除尘系统未设置泄爆装置、未定期清理积尘。"
        "请按《工贸企业粉尘防爆安全规定》立即整改,并报送整改前后照片及检测报告。",
        deadline=today - timedelta(days=25),
    )
    services.dispatch_reply(
        actor=qiye,
        dispatch=done,
        text="已加装泄爆片,建立积尘清理台账。",
        done=True,
        on=today - timedelta(days=30),
    )
    services.dispatch_return(
        actor=station,
        dispatch=done,
        text="未附泄爆片检测报告,请补充。",
        on=today - timedelta(days=29),
    )
    services.dispatch_reply(
        actor=qiye,
        dispatch=done,
        text="已补充检测报告(见附件)。",
        done=True,
        on=today - timedelta(days=27),
    )
    services.dispatch_accept(
        actor=station, dispatch=done, text="整改到位,同意办结。", on=today - timedelta(days=26)
    )
    waiting = _issue(
        station,
        today - timedelta(days=8),
        recipient_kind="enterprise",
        enterprise=enterprise,
        subject="年度自评报告报送",
        content="请于期限前完成本年度安全生产标准化自评,并报送自评报告。",
        deadline=today + timedelta(days=10),
    )
    services.dispatch_reply(
        actor=qiye,
        dispatch=waiting,
        text="自评已完成,自评报告已上传至系统。",
        done=True,
        on=today - timedelta(days=1),
    )
    if hangye is not None:
        joint = _issue(
            station,
            today - timedelta(days=5),
            recipient_kind="department",
            department=hangye.department,
            subject="联合开展小微企业标准化帮扶",
            content="请安排人员参加本月小微企业标准化现场帮扶,并报送帮扶企业名单。",
            deadline=today + timedelta(days=7),
        )
        services.dispatch_reply(
            actor=hangye,
            dispatch=joint,
            text="已安排2名同志参加,名单随后报送。",
            on=today - timedelta(days=2),
        )
    _issue(
        station,
        today - timedelta(days=20),
        recipient_kind="enterprise",
        enterprise=enterprise,
        subject="消防通道堵塞整改",
        content="你单位厂房东侧消防通道堆放原材料,请立即清理并报送整改情况。",
        deadline=today - timedelta(days=3),
    )
    return 4


def run_schedule_once() -> None:
    """One run of the schedule (what the worker does each day), so the bells are not empty."""
    from anbiao.notifications.schedule import run_due

    run_due()
