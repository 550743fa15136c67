"""The hazard closed loop: the transition table, the 五落实 rule for 重大隐患, evidence before a
review, and the certificate flagged when a 重大隐患 is found at a certified enterprise."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from anbiao.cases.models import Case, CaseEvent
from anbiao.supervision import services
from anbiao.supervision.models import Hazard
from anbiao.testing.factories import certify

FOUND = date(2026, 3, 2)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def evidence(name="整改后.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def register(enterprise, actor=None, level="general", **kw):
    return services.hazard_register(
        actor=actor,
        enterprise=enterprise,
        level=level,
        description=kw.pop("description", "配电箱门未关闭,线路裸露"),
        location="一车间",
        found_on=kw.pop("found_on", FOUND),
        **kw,
    )


def step(hazard, kind, actor=None, on=FOUND, **kw):
    return services.hazard_transition(actor=actor, hazard=hazard, kind=kind, on=on, **kw)


def messages(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def test_a_general_hazard_goes_round_the_loop_with_dated_events_and_who(
    minan_enterprise, station_officer, enterprise_user
):
    hazard = register(minan_enterprise, station_officer)
    step(hazard, "start", enterprise_user, on=FOUND + timedelta(days=1))
    step(
        hazard, "request_review", enterprise_user, on=FOUND + timedelta(days=5), files=[evidence()]
    )
    step(hazard, "fail", station_officer, on=FOUND + timedelta(days=6), note="线路仍未穿管")
    hazard.refresh_from_db()
    assert hazard.state == "rectifying"
    with pytest.raises(ValidationError):  # the refused evidence does not count again
        step(hazard, "request_review", enterprise_user, on=FOUND + timedelta(days=8))
    services.hazard_add_evidence(actor=enterprise_user, hazard=hazard, files=[evidence("穿管.png")])
    step(hazard, "request_review", enterprise_user, on=FOUND + timedelta(days=8))
    step(hazard, "pass", station_officer, on=FOUND + timedelta(days=9))
    hazard.refresh_from_db()
    assert (hazard.state, hazard.closed_on) == ("closed", FOUND + timedelta(days=9))
    steps = hazard.events.exclude(kind="evidence").order_by("id")
    rows = list(steps.values_list("kind", "on", "state_after", "actor__username"))
    assert rows == [
        ("register", FOUND, "registered", "minan"),
        ("start", FOUND + timedelta(days=1), "rectifying", "qiye"),
        ("request_review", FOUND + timedelta(days=5), "review_requested", "qiye"),
        ("fail", FOUND + timedelta(days=6), "rectifying", "minan"),
        ("request_review", FOUND + timedelta(days=8), "review_requested", "qiye"),
        ("pass", FOUND + timedelta(days=9), "closed", "minan"),
    ]


@pytest.mark.parametrize(
    ("walk", "kind", "words"),
    [
        ((), "pass", "只有已申请复查的隐患才能复查销号"),
        ((), "request_review", "只有整改中的隐患才能申请复查"),
        (("start",), "start", "只有刚登记的隐患才能开始整改"),
        (("start",), "fail", "只有已申请复查的隐患才能判定复查不通过"),
    ],
)
def test_an_illegal_transition_is_refused_in_chinese_and_changes_nothing(
    minan_enterprise, walk, kind, words
):
    hazard = register(minan_enterprise)
    for done in walk:
        step(hazard, done)
    before = list(Hazard.objects.values("state", "state_since", "closed_on"))
    with pytest.raises(ValidationError) as exc:
        step(hazard, kind, note="原因")
    assert words in messages(exc)
    assert "隐患当前状态为" in messages(exc)
    assert list(Hazard.objects.values("state", "state_since", "closed_on")) == before


def test_a_review_needs_evidence_and_a_failed_review_needs_a_reason(minan_enterprise):
    hazard = register(minan_enterprise)
    step(hazard, "start")
    with pytest.raises(ValidationError) as exc:
        step(hazard, "request_review")
    assert "申请复查须上传整改后的照片或材料" in messages(exc)
    step(hazard, "request_review", files=[evidence()])
    with pytest.raises(ValidationError) as exc:
        step(hazard, "fail")
    assert "复查不通过须写明原因" in messages(exc)


def test_a_major_hazard_cannot_close_without_the_five_part_plan(minan_enterprise, enterprise_user):
    hazard = register(minan_enterprise, level="major")
    assert hazard.listed  # 挂牌督办
    step(hazard, "start", enterprise_user)
    with pytest.raises(ValidationError) as exc:
        step(hazard, "request_review", enterprise_user, files=[evidence()])
    assert "五落实" in messages(exc)
    assert "措施" in messages(exc) and "资金" in messages(exc) and "预案" in messages(exc)
    services.hazard_update_plan(
        actor=enterprise_user,
        hazard=hazard,
        data={"responsible": "李四", "measures": "更换防爆电机", "funds": "12000"},
    )
    with pytest.raises(ValidationError) as exc:
        step(hazard, "request_review", enterprise_user, files=[evidence()])
    assert "尚缺:预案" in messages(exc)
    services.hazard_update_plan(
        actor=enterprise_user, hazard=hazard, data={"contingency": "停产撤人,启动应急预案"}
    )
    step(hazard, "request_review", enterprise_user, files=[evidence()])
    step(hazard, "pass")
    hazard.refresh_from_db()
    assert hazard.state == "closed" and not hazard.listed


def test_a_major_hazard_at_a_certified_enterprise_flags_its_certificate(
    minan_enterprise, station_officer
):
    certify(minan_enterprise, date(2025, 9, 1))
    register(minan_enterprise, station_officer, level="general")
    assert not Case.objects.get(enterprise=minan_enterprise).flagged
    register(minan_enterprise, station_officer, level="major", description="除尘器未设泄爆装置")
    case = Case.objects.get(enterprise=minan_enterprise)
    assert case.flagged
    assert "除尘器未设泄爆装置" in case.flag_reason
    slide = CaseEvent.objects.get(case=case, kind="slide")
    assert slide.actor == station_officer and slide.on == FOUND


def test_a_major_hazard_at_an_uncertified_enterprise_records_no_slide(minan_enterprise):
    register(minan_enterprise, level="major")
    assert not CaseEvent.objects.filter(kind="slide").exists()


def test_the_enterprise_user_cannot_register_or_close_and_nobody_acts_outside_scope(
    minan_enterprise, xindian_enterprise, enterprise_user, other_station_officer
):
    with pytest.raises(PermissionDenied):
        register(minan_enterprise, enterprise_user)
    hazard = register(minan_enterprise)
    with pytest.raises(PermissionDenied):
        step(hazard, "start", other_station_officer)
    step(hazard, "start", enterprise_user)
    step(hazard, "request_review", enterprise_user, files=[evidence()])
    with pytest.raises(PermissionDenied):
        step(hazard, "pass", enterprise_user)


def test_a_step_dated_before_the_previous_one_or_in_the_future_is_refused(minan_enterprise):
    hazard = register(minan_enterprise)
    with pytest.raises(ValidationError) as exc:
        step(hazard, "start", on=FOUND - timedelta(days=1))
    assert "不能早于上一步" in messages(exc)
    with pytest.raises(ValidationError) as exc:
        step(hazard, "start", on=timezone.localdate() + timedelta(days=2))
    assert "不能晚于今天" in messages(exc)
