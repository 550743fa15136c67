"""督办: a 督办单's round trip (issue → reply → return → reply → accept) through the pages, what
each party may see and do, numbering, escalation when overdue, the list and its export."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.accounts.choices import Role
from anbiao.dispatches.models import Dispatch
from anbiao.dispatches.services import dispatch_issue
from anbiao.notifications import schedule
from anbiao.notifications.models import Notification
from anbiao.testing.factories import UserFactory, region

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def on(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=TZ), tick=False)


def titles(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def pdf(name="整改报告.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def test_round_trip_issue_reply_return_reply_accept_with_each_partys_rights(
    client,
    station_officer,
    other_station_officer,
    district_officer,
    enterprise_user,
    agency_user,
    outsider,
    minan_enterprise,
):
    # One moment for the whole trip: sessions expire after idle time, so no jumping about.
    travel = on(date(2026, 3, 2))
    travel.start()
    client.force_login(station_officer)
    if True:
        response = client.post(
            reverse("dispatches:create"),
            {
                "recipient_kind": "enterprise",
                "enterprise": minan_enterprise.uscc,
                "subject": "粉尘涉爆隐患整改",
                "content": "你单位除尘系统未设置泄爆装置,请立即整改。",
                "working_days": "5",
                "file": pdf("检查记录.pdf"),
            },
        )
        assert response.status_code == 302, response.context["form"].errors
    dispatch = Dispatch.objects.get()
    assert dispatch.number == "民安安监督〔2026〕1号"
    assert dispatch.deadline == date(2026, 3, 9)  # 5 working days after Mon 2 March
    assert dispatch.issuer_unit == "民安街道安监站"
    detail = reverse("dispatches:detail", args=[dispatch.pk])
    assert any("民安安监督〔2026〕1号" in t for t in titles(enterprise_user))

    # Who sees it: the issuer, the district above, the enterprise and the agency serving it;
    # not another 街道, not an expert.
    for user, status in (
        (station_officer, 200),
        (district_officer, 200),
        (enterprise_user, 200),
        (other_station_officer, 404),
        (agency_user, 200),
        (outsider, 403),
    ):
        client.force_login(user)
        assert client.get(detail).status_code == status, user.username

    reply = reverse("dispatches:reply", args=[dispatch.pk])
    accept = reverse("dispatches:accept", args=[dispatch.pk])
    back = reverse("dispatches:return", args=[dispatch.pk])
    # Only the recipient replies; only the issuing station accepts or returns.
    client.force_login(station_officer)
    assert client.post(reply, {"text": "代为回复", "done": "on"}).status_code == 403
    client.force_login(agency_user)  # reads it, but it was not sent to the agency
    assert client.post(reply, {"text": "代企业回复"}).status_code == 403
    client.force_login(enterprise_user)
    assert client.post(accept, {"text": "自己验收"}).status_code == 403
    response = client.post(reply, {"text": "已加装泄爆片", "done": "on", "file": pdf()})
    assert response.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == "submitted"
    assert any("已报送办结督办单民安安监督〔2026〕1号" in t for t in titles(station_officer))

    client.force_login(district_officer)  # above the issuer, but not the issuing unit
    assert client.post(back, {"text": "不行"}).status_code == 403
    client.force_login(station_officer)
    response = client.post(back, {"text": ""})
    assert response.status_code == 400 and "请填写退回原因" in response.content.decode()
    assert client.post(back, {"text": "未提供泄爆片检测报告"}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == "returned"
    assert any("已退回" in t for t in titles(enterprise_user))
    assert client.post(accept, {}).status_code == 400  # returned: nothing to accept yet

    client.force_login(enterprise_user)
    client.post(reply, {"text": "补充检测报告", "done": "on", "file": pdf("检测报告.pdf")})
    client.force_login(station_officer)
    assert client.post(accept, {"text": "同意办结"}).status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == "accepted"
    kinds = list(dispatch.events.values_list("kind", flat=True))
    assert kinds == ["issue", "submit", "return", "submit", "accept"]
    page = client.get(detail).content.decode()
    assert "检测报告.pdf" in page and "未提供泄爆片检测报告" in page
    # The files are served to the parties only.
    item = dispatch.events.get(kind="issue").files.get()
    client.force_login(other_station_officer)
    assert client.get(reverse("dispatches:file", args=[item.pk])).status_code == 404
    client.force_login(enterprise_user)
    assert client.get(reverse("dispatches:file", args=[item.pk])).status_code == 200
    travel.stop()


def test_a_department_sees_and_answers_what_is_sent_to_it(
    client, station_officer, minan_enterprise
):
    bureau = UserFactory(
        username="gongxin", role=Role.DEPARTMENT, region=region("350213"), department="区工信局"
    )
    other = UserFactory(
        username="jiaotong", role=Role.DEPARTMENT, region=region("350213"), department="区交通局"
    )
    dispatch = dispatch_issue(
        actor=station_officer,
        recipient_kind="department",
        department="区工信局",
        subject="联合检查",
        content="请派员参加联合检查。",
        deadline=date(2099, 1, 1),
        enterprises=[minan_enterprise],
    )
    assert titles(bureau) and not titles(other)
    client.force_login(other)
    assert client.get(reverse("dispatches:detail", args=[dispatch.pk])).status_code == 404
    client.force_login(bureau)
    response = client.post(reverse("dispatches:reply", args=[dispatch.pk]), {"text": "已安排"})
    assert response.status_code == 302
    dispatch.refresh_from_db()
    assert dispatch.status == "in_progress"


def test_a_station_cannot_dispatch_to_an_enterprise_outside_its_subdistrict(
    client, station_officer, xindian_enterprise
):
    client.force_login(station_officer)
    response = client.post(
        reverse("dispatches:create"),
        {
            "recipient_kind": "enterprise",
            "enterprise": xindian_enterprise.uscc,
            "subject": "越界",
            "content": "越界督办",
            "deadline": "2099-01-01",
        },
    )
    assert response.status_code == 200
    assert "在您的管辖范围内没有找到企业" in response.content.decode()
    assert xindian_enterprise.name not in response.content.decode().replace(
        xindian_enterprise.uscc, ""
    )
    assert not Dispatch.objects.exists()


def test_numbers_run_per_issuer_per_year(station_officer, district_officer, minan_enterprise):
    def issue(actor, day):
        with on(day):
            return dispatch_issue(
                actor=actor,
                recipient_kind="enterprise",
                enterprise=minan_enterprise,
                subject="s",
                content="c",
                deadline=day,
            ).number

    assert issue(station_officer, date(2026, 1, 5)) == "民安安监督〔2026〕1号"
    assert issue(station_officer, date(2026, 2, 5)) == "民安安监督〔2026〕2号"
    assert issue(district_officer, date(2026, 2, 5)) == "翔安安委办督〔2026〕1号"
    assert issue(station_officer, date(2027, 1, 4)) == "民安安监督〔2027〕1号"


def test_an_overdue_dispatch_escalates_to_the_recipients_superior_once(
    station_officer, district_officer, other_station_officer, enterprise_user, minan_enterprise
):
    with on(date(2026, 3, 2)):
        dispatch = dispatch_issue(
            actor=station_officer,
            recipient_kind="enterprise",
            enterprise=minan_enterprise,
            subject="消防通道堵塞",
            content="请清理消防通道。",
            deadline=date(2026, 3, 6),
        )
    for day in (date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)):
        with on(day, hour=2):
            schedule.run_due()
    overdue = "督办单民安安监督〔2026〕1号“消防通道堵塞”已逾期"
    for user in (enterprise_user, station_officer, district_officer):
        assert sum(overdue in t for t in titles(user)) == 1, user.username
    assert not any(overdue in t for t in titles(other_station_officer))
    dispatch.refresh_from_db()
    assert dispatch.escalated_on == date(2026, 3, 7)
    assert list(dispatch.events.filter(kind="escalate").values_list("on", flat=True)) == [
        date(2026, 3, 7)
    ]


def test_list_counts_filters_and_export_stay_in_scope(
    client,
    station_officer,
    other_station_officer,
    minan_enterprise,
    xindian_enterprise,
    django_assert_max_num_queries,
):
    travel = on(date(2026, 3, 10))
    travel.start()
    if True:
        for n in range(3):
            dispatch_issue(
                actor=station_officer,
                recipient_kind="enterprise",
                enterprise=minan_enterprise,
                subject=f"=民安事项{n}",
                content="c",
                deadline=date(2026, 3, 4),
                on=date(2026, 3, 2),
            )
        dispatch_issue(
            actor=other_station_officer,
            recipient_kind="enterprise",
            enterprise=xindian_enterprise,
            subject="新店事项",
            content="c",
            deadline=date(2026, 12, 31),
        )
    client.force_login(station_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dispatches:list"))
    page = response.content.decode()
    assert "=民安事项0" in page and "新店事项" not in page
    assert response.context["total"] == 3
    assert dict((c[0], c[2]) for c in response.context["cards"])["overdue"] == 3
    assert "已逾期 4 个工作日" in page
    filtered = client.get(reverse("dispatches:list"), {"q": "事项1"})
    assert [d.subject for d in filtered.context["page"]] == ["=民安事项1"]
    export = client.get(reverse("dispatches:export"), {"status": "overdue"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    subjects = [row[5] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert sorted(subjects) == ["=民安事项0", "=民安事项1", "=民安事项2"]  # text, not formulas
    printed = client.get(
        reverse("dispatches:print", args=[Dispatch.objects.get(subject="=民安事项0").pk])
    )
    assert "督 办 单" in printed.content.decode()
    travel.stop()


def test_a_hazard_is_put_under_dispatch_from_its_page_and_linked(
    client, station_officer, other_station_officer, minan_enterprise, xindian_enterprise
):
    """The hazard page's 下发督办 opens a 督办单 to the hazard's enterprise with the hazard linked;
    the 督办单 names the hazard; another 街道's hazard cannot be linked."""
    from anbiao.supervision.services import hazard_register

    hazard = hazard_register(
        actor=None,
        enterprise=minan_enterprise,
        level="major",
        description="除尘系统未设置泄爆装置",
        found_on=date(2026, 11, 20),
        deadline=date(2026, 12, 31),
    )
    foreign = hazard_register(
        actor=None,
        enterprise=xindian_enterprise,
        level="general",
        description="新店通道堵塞",
        found_on=date(2026, 11, 20),
    )
    client.force_login(station_officer)
    page = client.get(reverse("supervision:hazard", args=[hazard.pk]))
    assert f"{reverse('dispatches:create')}?hazard={hazard.pk}" in page.content.decode()

    form = client.get(reverse("dispatches:create"), {"hazard": hazard.pk}).context["form"]
    assert form.initial["hazards"] == [hazard]
    assert form.initial["enterprise"] == minan_enterprise
    assert foreign not in form.fields["hazards"].queryset  # not offered

    response = client.post(
        reverse("dispatches:create"),
        {
            "recipient_kind": "enterprise",
            "enterprise": minan_enterprise.uscc,
            "subject": form.initial["subject"],
            "content": form.initial["content"],
            "working_days": "5",
            "hazards": [hazard.pk],
        },
    )
    dispatch = Dispatch.objects.get()
    assert response.status_code == 302
    assert list(dispatch.hazards.all()) == [hazard]
    detail = client.get(reverse("dispatches:detail", args=[dispatch.pk])).content.decode()
    assert "除尘系统未设置泄爆装置" in detail
    assert (
        "除尘系统未设置泄爆装置"
        in client.get(reverse("dispatches:print", args=[dispatch.pk])).content.decode()
    )

    refused = client.post(
        reverse("dispatches:create"),
        {
            "recipient_kind": "enterprise",
            "enterprise": minan_enterprise.uscc,
            "subject": "越权关联",
            "content": "x",
            "working_days": "5",
            "hazards": [foreign.pk],
        },
    )
    assert refused.status_code == 200 and "hazards" in refused.context["form"].errors
    assert Dispatch.objects.count() == 1


def test_the_dashboard_counts_open_and_overdue_dispatches_the_user_sees(
    client, station_officer, other_station_officer, minan_enterprise
):
    """The campaign dashboard's 需要跟进 names the 督办单 still open and those overdue, each
    opening the filtered 督办 list; another 街道's officer sees none of them."""
    for deadline in (date(2026, 1, 20), date(2099, 1, 1)):
        dispatch_issue(
            actor=station_officer,
            recipient_kind="enterprise",
            enterprise=minan_enterprise,
            subject="整改督办",
            content="请整改",
            deadline=deadline,
            on=date(2026, 1, 5),
        )
    client.force_login(station_officer)
    page = client.get(reverse("home")).content.decode()
    list_url = reverse("dispatches:list")
    assert f'href="{list_url}?status=open">督办未办结<span' in page
    assert ">2</span>" in page.split("督办未办结", 1)[1][:120]
    assert ">1</span>" in page.split("督办逾期", 1)[1][:120]

    client.force_login(other_station_officer)
    other = client.get(reverse("home")).content.decode()
    if "督办逾期" in other:  # the other 街道's home, campaign or not
        assert ">0</span>" in other.split("督办逾期", 1)[1][:120]
