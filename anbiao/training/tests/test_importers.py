from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.core.models import ImportJob
from anbiao.testing.factories import attend, make_enterprise, make_session
from anbiao.training.importers import import_sign_in
from anbiao.training.models import Attendance

pytestmark = pytest.mark.django_db
HEADER = "姓名,岗位类别,所在企业,统一社会信用代码,工作单位,联系电话\n"


@pytest.fixture
def session(reference):
    return make_session(held_on=date(2025, 6, 20))


@pytest.fixture
def firm(reference):
    return make_enterprise(name="厦门恒兴机械有限公司")


def run(session, text, user=None, **kw):
    data = (HEADER + text).encode()
    return import_sign_in(data, user=user, filename="签到表.csv", target_id=session.pk, **kw)


def errors(outcome):
    return [(e.row, e.column, e.message) for e in outcome.errors]


def test_a_clean_sheet_adds_everyone(session, firm, station_officer):
    text = (
        f"陈志明,企业主要负责人,{firm.name},,,13800000000\n"
        f"林建华,安全管理员,,{firm.uscc},,\n"
        "王建国,领导干部,,,民安街道办事处,\n"
        "曾国庆,安全专家,,,,\n"
    )
    outcome = run(session, text, user=station_officer)
    assert (outcome.errors, outcome.created, outcome.written) == ([], 4, True)
    roles = dict(Attendance.objects.values_list("name", "role"))
    assert roles == {
        "陈志明": "principal",
        "林建华": "safety_manager",
        "王建国": "leader",
        "曾国庆": "expert",
    }
    assert Attendance.objects.get(name="林建华").enterprise == firm


def test_unknown_enterprise_unknown_role_and_duplicate_person_are_reported_by_row(
    session, firm, station_officer
):
    attend(session, firm, "principal", name="老员工")
    outside = make_enterprise("350213002", name="厦门新店食品有限公司")
    text = (
        f"陈志明,企业主要负责人,{firm.name},,,\n"  # row 2: fine
        "李四,企业主要负责人,厦门不存在有限公司,,,\n"  # row 3: unknown enterprise
        f"王五,安全主任,{firm.name},,,\n"  # row 4: unknown role
        f"陈志明,企业主要负责人,,{firm.uscc},,\n"  # row 5: same person as row 2
        f"老员工,企业主要负责人,{firm.name},,,\n"  # row 6: already signed in
        f"赵六,安全生产管理员,{outside.name},,,\n"  # row 7: enterprise of another 街道
        "钱七,安全生产管理员,,,,\n"  # row 8: a safety manager without an enterprise
    )
    outcome = run(session, text, user=station_officer)
    found = errors(outcome)
    assert [row for row, *_ in found] == [3, 4, 5, 6, 7, 8]
    assert found[0][1:] == ("所在企业", "未找到企业“厦门不存在有限公司”(须为民安街道已登记的企业)")
    assert (
        found[1][1] == "岗位类别" and "安全主任" in found[1][2] and "企业主要负责人" in found[1][2]
    )
    assert found[2][1:] == ("姓名", "“陈志明”与第2行为同一人,重复签到")
    assert found[3][1:] == ("姓名", "“老员工”已在本次培训的签到名单中")
    assert found[4][1] == "所在企业" and "未找到企业" in found[4][2]
    assert found[5][1:] == ("所在企业", "安全生产管理员须填写所在企业")
    assert (outcome.invalid, outcome.created, outcome.written) == (6, 0, False)
    assert list(Attendance.objects.values_list("name", flat=True)) == ["老员工"]


def test_skipping_wrong_rows_imports_only_the_right_ones(session, firm, station_officer):
    text = f"陈志明,企业主要负责人,{firm.name},,,\n李四,路人,,,,\n"
    outcome = run(session, text, user=station_officer, skip_invalid=True)
    assert (outcome.created, outcome.invalid, outcome.written) == (1, 1, True)
    assert Attendance.objects.count() == 1


def test_a_dry_run_writes_nothing_and_opens_no_transaction(
    session, firm, station_officer, transactions_opened
):
    opened = transactions_opened()  # on SQLite any transaction takes the write lock
    outcome = run(
        session, f"陈志明,企业主要负责人,{firm.name},,,\n", user=station_officer, dry_run=True
    )
    assert outcome.created == 1 and not outcome.written
    assert opened == []
    assert not Attendance.objects.exists()


def test_the_web_flow_previews_then_commits(login, station_officer, session, firm):
    client = login(station_officer)
    upload = SimpleUploadedFile(
        "签到表.csv", (HEADER + f"陈志明,企业主要负责人,{firm.name},,,\n").encode()
    )
    response = client.post(reverse("training:import", kwargs={"pk": session.pk}), {"file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:detail", kwargs={"pk": job.pk})
    assert (job.kind, job.status, job.created_count) == ("training", "checked", 1)
    assert not Attendance.objects.exists()
    client.post(reverse("imports:confirm", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == "done"
    assert Attendance.objects.get().name == "陈志明"


def test_another_subdistrict_cannot_import_into_our_session(other_station_officer, session, firm):
    outcome = run(session, f"陈志明,企业主要负责人,{firm.name},,,\n", user=other_station_officer)
    assert outcome.invalid == 1 and not outcome.written
    assert "无权访问" in outcome.errors[0].message
