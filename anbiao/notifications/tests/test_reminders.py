"""Each reminder rule, lived through day by day with time travel: sent at its threshold, to the
right people, once; not again; and no more once the thing is done."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.campaigns.models import Campaign
from anbiao.cases.services import CertificateData
from anbiao.notifications import schedule
from anbiao.notifications.models import Notification, NotificationPreference, Reminder
from anbiao.testing.factories import UserFactory, certify, choose_benchmark, record_steps, region

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """live(day) → travel to `day` (02:00) and let the scheduler run what is due, mails and
    all; returns the titles of the notifications created that day, per username."""

    def run(day: date) -> dict[str, list[str]]:
        before = set(Notification.objects.values_list("pk", flat=True))
        moment = datetime(day.year, day.month, day.day, 2, tzinfo=TZ)
        with time_machine.travel(moment, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                schedule.run_due()
        got: dict[str, list[str]] = {}
        for n in Notification.objects.exclude(pk__in=before).select_related("user"):
            got.setdefault(n.user.username, []).append(n.title)
        return got

    return run


def mine(got, username, text) -> list[str]:
    return [t for t in got.get(username, []) if text in t]


def about(got, text) -> dict[str, list[str]]:
    """Only the notifications mentioning `text` (other rules run too, on the shipped plan)."""
    found = {user: [t for t in titles if text in t] for user, titles in got.items()}
    return {user: titles for user, titles in found.items() if titles}


@pytest.fixture
def people(station_officer, other_station_officer, enterprise_user, agency_user):
    for user, email in ((station_officer, "minan@example.cn"), (enterprise_user, "qiye@ex.cn")):
        user.email = email
        user.save()
    return station_officer


def test_certificate_expiry_reminds_at_90_30_7_days_and_stops_when_renewed(
    live, people, minan_enterprise, mailoutbox
):
    certify(minan_enterprise, date(2023, 4, 1), number="XM-AQ-001")  # valid to 2026-03-31
    assert about(live(date(2025, 12, 30)), "XM-AQ-001") == {}
    got = live(date(2026, 1, 1))  # 89 days left: the 90-day threshold
    for username in ("qiye", "jigou", "minan"):
        assert mine(got, username, "证书XM-AQ-001将于2026-03-31到期"), username
    assert "xindian" not in got  # another 街道's station is not told
    assert any("XM-AQ-001" in m.subject for m in mailoutbox)  # users with an e-mail get it
    assert about(live(date(2026, 1, 2)), "XM-AQ-001") == {}  # not again
    assert mine(live(date(2026, 3, 1)), "qiye", "XM-AQ-001")  # 30 days
    # Renewed: the 7-day and the expired reminders never come.
    record_steps(
        minan_enterprise,
        ("apply", date(2026, 3, 2)),
        ("review_pass", date(2026, 3, 10), {"grade": "micro"}),
        ("renewal", date(2026, 3, 20), {"certificate": CertificateData(number="XM-AQ-002")}),
    )
    assert about(live(date(2026, 3, 25)), "XM-AQ-001") == {}
    assert not mine(live(date(2026, 4, 1)), "qiye", "XM-AQ-001")
    thresholds = Reminder.objects.filter(rule="certificate_expiring").values_list(
        "threshold", flat=True
    )
    assert sorted(thresholds) == [30, 90]


def test_a_certificate_first_seen_expired_gets_the_expired_reminder_only(
    live, people, minan_enterprise
):
    certify(minan_enterprise, date(2023, 1, 1), number="XM-AQ-009")  # valid to 2025-12-31
    got = live(date(2026, 1, 5))
    assert mine(got, "minan", "XM-AQ-009已于2025-12-31到期,尚未换证")
    assert not mine(got, "minan", "将于")  # no late "due in 7 days"
    assert about(live(date(2026, 1, 6)), "XM-AQ-009") == {}


def test_annual_self_evaluation_due_then_overdue_and_stops_when_recorded(
    live, people, minan_enterprise
):
    certify(minan_enterprise, date(2024, 6, 1), number="XM-AQ-100")
    assert mine(live(date(2025, 12, 1)), "qiye", "应于2025-12-31前完成2025年度自评")
    assert about(live(date(2025, 12, 2)), "年度自评") == {}
    assert mine(live(date(2025, 12, 24)), "jigou", "2025年度自评")  # 7 days
    got = live(date(2026, 1, 1))
    assert mine(got, "minan", "2025年度自评已逾期")
    # Another enterprise records its annual self-evaluation in time: never overdue.
    other = certify_other(date(2024, 6, 1))
    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=TZ), tick=False):
        record_steps(other, ("annual", date(2026, 12, 20)))
    got = live(date(2027, 1, 1))
    assert not [t for t in got.get("minan", []) if other.name in t and "2026" in t]


def certify_other(issued_on):
    from anbiao.testing.factories import make_enterprise

    enterprise = make_enterprise("350213007", name="厦门按时自评有限公司")
    certify(enterprise, issued_on)
    return enterprise


def rectification_of(enterprise, due_on):
    from anbiao.cases.models import Assessment, Case, Rectification
    from anbiao.cases.standards import current

    case = Case.objects.get(enterprise=enterprise)
    standard = current("gm-xiaowei")
    assessment = Assessment.objects.create(case=case, kind="review", standard=standard)
    return Rectification.objects.create(
        case=case,
        assessment=assessment,
        item=standard.items.first(),
        description="配电箱未接地",
        due_on=due_on,
    )


def test_rectification_due_and_overdue_and_stops_when_closed(live, people, minan_enterprise):
    from anbiao.cases.services import rectification_close

    record_steps(minan_enterprise, ("start", date(2026, 4, 1)))
    late = rectification_of(minan_enterprise, date(2026, 5, 20))
    done = rectification_of(minan_enterprise, date(2026, 5, 21))
    got = live(date(2026, 5, 13))
    assert len(mine(got, "qiye", "配电箱未接地”将于")) == 1  # 7 days before the first
    got = live(date(2026, 5, 14))
    assert len(mine(got, "qiye", "配电箱未接地”将于2026-05-21")) == 1
    assert mine(live(date(2026, 5, 20)), "jigou", "将于2026-05-20到期")  # on the day
    rectification_close(actor=people, rectification=done, on=date(2026, 5, 20), note="已整改")
    got = live(date(2026, 5, 22))
    assert mine(got, "minan", "已逾期(期限2026-05-20)")
    assert not mine(got, "minan", "2026-05-21")
    assert Reminder.objects.filter(object_id=late.pk, rule="rectification_overdue").count() == 1


def test_plan_task_reminds_the_responsible_department_and_stops_when_done(live, people, reference):
    from anbiao.campaigns.models import Task
    from anbiao.campaigns.services import task_update

    UserFactory(
        username="banshichu",
        role=Role.DEPARTMENT,
        region=region("350213007"),
        department="街道办事处",
    )
    t03 = Task.objects.get(campaign__slug="minan-2025", code="T03")
    Task.objects.filter(pk=t03.pk).update(deadline=date(2026, 7, 31))
    t06 = Task.objects.get(campaign__slug="minan-2025", code="T06")  # 街道安监站, 2026-06-30
    live(date(2026, 6, 1))  # the plan's older tasks are reminded of first
    got = live(date(2026, 6, 23))
    assert mine(got, "minan", "任务T06")  # no user of 街道安监站 as department: the station
    assert about(got, "T06") == {"minan": about(got, "T06")["minan"]}
    with time_machine.travel(datetime(2026, 6, 28, 9, tzinfo=TZ), tick=False):
        task_update(actor=people, task=t06, status="done", on=timezone.localdate(), note="完成")
    got = live(date(2026, 7, 1))
    assert not mine(got, "minan", "T06")
    assert mine(live(date(2026, 7, 24)), "banshichu", "任务T03")
    assert about(live(date(2026, 7, 25)), "任务T03") == {}
    assert mine(live(date(2026, 8, 1)), "banshichu", "任务T03“统筹协调")


def test_survey_round_due_reminds_the_station_until_closed(live, people, reference):
    from anbiao.surveys.services import survey_round_close, survey_round_create

    with time_machine.travel(datetime(2026, 7, 1, 9, tzinfo=TZ), tick=False):
        survey = survey_round_create(
            actor=people,
            name="2026年下半年摸排",
            region=region("350213007"),
            period_start=date(2026, 7, 1),
            period_end=date(2026, 8, 31),
        )
    assert mine(live(date(2026, 8, 24)), "minan", "摸排“2026年下半年摸排”应于2026-08-31结束")
    assert about(live(date(2026, 8, 25)), "摸排") == {}
    with time_machine.travel(datetime(2026, 8, 30, 9, tzinfo=TZ), tick=False):
        survey_round_close(actor=people, survey_round=survey, on=date(2026, 8, 30))
    assert not mine(live(date(2026, 8, 31)), "minan", "摸排")


def test_benchmark_stage_deadline_reminds_until_the_next_stage(live, people, minan_enterprise):
    from anbiao.benchmarks.services import benchmark_advance

    benchmark = choose_benchmark(minan_enterprise, date(2026, 3, 1))  # candidate: due +60 days
    assert mine(live(date(2026, 4, 16)), "minan", "处于“培植对象”阶段,应于2026-04-30前")
    assert about(live(date(2026, 4, 17)), "标杆") == {}
    benchmark_advance(actor=None, benchmark=benchmark, stage="pilot_create", on=date(2026, 4, 20))
    got = live(date(2026, 5, 1))
    assert not mine(got, "minan", "培植对象")


def test_muted_rules_and_mail_preferences_are_respected(
    live, people, minan_enterprise, enterprise_user, mailoutbox
):
    NotificationPreference.objects.create(
        user=enterprise_user, muted_rules=["certificate_expiring"]
    )
    NotificationPreference.objects.create(user=people, email_enabled=False)
    certify(minan_enterprise, date(2023, 4, 1), number="XM-AQ-777")
    got = live(date(2026, 1, 1))
    assert not mine(got, "qiye", "XM-AQ-777")  # muted
    assert mine(got, "minan", "XM-AQ-777")  # in the bell …
    # … but no mail: e-mail off for the officer, and the muted user gets nothing of it.
    assert not [m for m in mailoutbox if "XM-AQ-777" in m.subject]


def test_the_weekly_digest_groups_a_weeks_notifications_in_one_mail(
    live, people, minan_enterprise, mailoutbox
):
    NotificationPreference.objects.create(user=people, email_digest=True)
    # This week's 信息报送 reminders (due 2026-01-05) would fall into the next digest: leave the
    # campaign's filing schedule out of a test about the digest (anbiao/filings tests it).
    Campaign.objects.filter(slug="minan-2025").update(filing_frequency="none")
    certify(minan_enterprise, date(2023, 4, 1), number="XM-AQ-500")
    record_steps(minan_enterprise, ("annual", date(2025, 6, 1)))
    live(date(2025, 12, 29))  # Monday: the first run, an empty digest
    live(date(2025, 12, 31))
    live(date(2026, 1, 1))  # the certificate's 90 days; the plan's tasks due and overdue
    assert not [m.subject for m in mailoutbox if "minan@example.cn" in m.to]  # no single mails
    live(date(2026, 1, 5))  # Monday: the digest
    digests = [m for m in mailoutbox if "minan@example.cn" in m.to]
    assert len(digests) == 1
    body = digests[0].body
    assert "【证书即将到期】1 条" in body and "【工作任务即将到期】" in body
    assert body.index("【证书即将到期】") < body.index("XM-AQ-500")
    assert Notification.objects.filter(user=people, digested_at__isnull=True).count() == 0
    live(date(2026, 1, 12))
    assert len([m for m in mailoutbox if "minan@example.cn" in m.to]) == 1  # nothing new


def test_sms_goes_through_the_stub_that_does_not_send(live, people, minan_enterprise):
    from anbiao.notifications.channels import StubSmsBackend

    StubSmsBackend.sent.clear()
    people.phone = "13900000000"
    people.save()
    NotificationPreference.objects.create(user=people, sms_enabled=True)
    certify(minan_enterprise, date(2023, 4, 1), number="XM-AQ-SMS")
    live(date(2026, 1, 1))
    assert [p for p, text in StubSmsBackend.sent if "XM-AQ-SMS" in text] == ["13900000000"]


def test_a_rule_file_with_an_unknown_query_is_refused_with_its_place(tmp_path, settings):
    from django.core.exceptions import ImproperlyConfigured

    from anbiao.notifications.rules import rules

    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - {code: a, name: 甲, query: hazards, thresholds: [1], recipients: [station],"
        " title: x}\n",
        encoding="utf-8",
    )
    settings.ANBIAO_REMINDER_RULES_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match="第1条规则:未知查询“hazards”"):
        rules()


def test_working_day_thresholds_skip_the_holiday(live, people, minan_enterprise):
    """dispatch_due is counted in working days: with 国庆 on 1–7 Oct 2026, a deadline of Thu
    8 Oct is 2 working days away on Tue 29 Sep (30 Sep, 8 Oct), 3 on Mon 28 Sep."""
    from anbiao.dispatches.services import dispatch_issue

    with time_machine.travel(datetime(2026, 9, 21, 9, tzinfo=TZ), tick=False):
        dispatch_issue(
            actor=people,
            recipient_kind="enterprise",
            enterprise=minan_enterprise,
            subject="节前安全检查",
            content="开展节前安全检查并报送检查记录。",
            deadline=date(2026, 10, 8),
        )
    assert about(live(date(2026, 9, 28)), "节前安全检查") == {}
    assert mine(live(date(2026, 9, 29)), "qiye", "节前安全检查”将于2026-10-08到期")


def test_hazards_remind_before_and_when_overdue_a_major_one_the_district_too_until_closed(
    live, people, minan_enterprise, district_officer
):
    """隐患: 3 days before and on the deadline, then overdue, to the enterprise and its station;
    a 重大隐患 (挂牌督办) overdue also to the district; a closed (销号) hazard no more."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anbiao.supervision.services import hazard_register, hazard_transition

    found, deadline = date(2026, 3, 2), date(2026, 3, 20)
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=TZ), tick=False):
        hazards = {
            description: hazard_register(
                actor=people,
                enterprise=minan_enterprise,
                level=level,
                description=description,
                found_on=found,
                deadline=deadline,
                responsible="张三",
            )
            for level, description in (
                ("general", "配电箱门未关闭"),
                ("major", "除尘器未设泄爆装置"),
                ("general", "消防通道堵塞"),
            )
        }
    assert about(live(date(2026, 3, 16)), "2026-03-20") == {}  # 4 days left: nothing yet
    got = live(date(2026, 3, 17))  # 3 days left
    due = "的一般隐患“配电箱门未关闭”应于2026-03-20前整改完成(责任人:张三)"
    for username in ("qiye", "minan"):
        assert mine(got, username, due), username
        assert len(mine(got, username, "应于2026-03-20前")) == 3  # each hazard once
    assert "xindian" not in got  # another 街道's station is not told
    assert "district" not in got  # nor the district before anything is overdue
    assert about(live(date(2026, 3, 18)), "2026-03-20") == {}  # not again
    # 消防通道堵塞 is closed (销号) before its deadline: no more reminders about it.
    blocked = hazards["消防通道堵塞"]
    photo = SimpleUploadedFile("整改后.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    with time_machine.travel(datetime(2026, 3, 19, 9, tzinfo=TZ), tick=False):
        for kind, files in (("start", ()), ("request_review", [photo]), ("pass", ())):
            hazard_transition(
                actor=people, hazard=blocked, kind=kind, on=date(2026, 3, 19), files=files
            )
    got = live(date(2026, 3, 20))  # on the day
    assert len(mine(got, "qiye", "应于2026-03-20前")) == 2
    assert not mine(got, "qiye", "消防通道堵塞")
    got = live(date(2026, 3, 21))  # overdue
    general = "配电箱门未关闭”已逾期未销号(期限2026-03-20,责任人:张三)"
    major = "重大隐患“除尘器未设泄爆装置”已逾期未销号(期限2026-03-20,挂牌督办"
    for username in ("qiye", "minan"):
        assert mine(got, username, general) and mine(got, username, major), username
        assert not mine(got, username, "消防通道堵塞")
    to_district = about(got, "隐患").get("district", [])
    assert len(to_district) == 1 and major in to_district[0]  # not the general one
    assert about(live(date(2026, 3, 22)), "隐患") == {}  # not again
    sent = Reminder.objects.filter(object_id=blocked.pk, rule__startswith="hazard")
    assert sorted(sent.values_list("threshold", flat=True)) == [3]


def test_a_hazard_rule_with_an_unknown_level_is_refused(tmp_path, settings, people):
    from django.core.exceptions import ImproperlyConfigured

    from anbiao.notifications.services import evaluate_rules

    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - {code: h, name: 隐患, query: hazard, params: {levels: [majr]},"
        " thresholds: [-1], recipients: [station], title: x}\n",
        encoding="utf-8",
    )
    settings.ANBIAO_REMINDER_RULES_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match="未知隐患级别"):
        evaluate_rules(on=date(2026, 3, 21))
