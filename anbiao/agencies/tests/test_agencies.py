from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anbiao.accounts.choices import Role
from anbiao.agencies import services
from anbiao.agencies.importers import import_agencies, import_experts
from anbiao.agencies.models import Agency, AgencyAssignment, Expert, GuidanceRecord
from anbiao.cases.independence import consulted, reviewer_conflicts
from anbiao.testing.factories import AgencyFactory, UserFactory, assign_agency, make_enterprise

pytestmark = pytest.mark.django_db


def record(agency, enterprise, on=date(2025, 6, 1), actor=None, **kw):
    return services.guidance_record(
        actor=actor,
        agency=agency,
        enterprise=enterprise,
        visited_on=on,
        content="指导编制安全生产责任制",
        **kw,
    )


# --- scope: agency users see only their assigned enterprises


def test_agency_users_see_only_the_guidance_records_of_their_assigned_enterprises(
    login, agency_user, minan_enterprise, xindian_enterprise
):
    other = AgencyFactory(name="他家机构")
    assign_agency(other, xindian_enterprise)
    assign_agency(other, minan_enterprise)
    mine = record(agency_user.agency, minan_enterprise)
    theirs_here = record(other, minan_enterprise)
    theirs_there = record(other, xindian_enterprise)
    client = login(agency_user)
    listed = {r.pk for r in client.get(reverse("agencies:guidance")).context["page"]}
    assert listed == {mine.pk}
    for hidden in (theirs_here, theirs_there):
        url = reverse("agencies:guidance_detail", kwargs={"pk": hidden.pk})
        assert client.get(url).status_code == 404
    page = client.get(reverse("agencies:detail", kwargs={"pk": other.pk})).content.decode()
    assert xindian_enterprise.name not in page and xindian_enterprise.uscc not in page


def test_an_agency_user_records_guidance_only_for_its_assigned_enterprises(
    agency_user, minan_enterprise, xindian_enterprise
):
    today = timezone.localdate()
    rec = record(agency_user.agency, minan_enterprise, on=today, actor=agency_user)
    assert rec.assignment is not None
    with pytest.raises(PermissionDenied):
        record(agency_user.agency, xindian_enterprise, on=today, actor=agency_user)
    with pytest.raises(PermissionDenied):
        record(AgencyFactory(), minan_enterprise, on=today, actor=agency_user)
    with pytest.raises(ValidationError, match="未被指派"):
        record(agency_user.agency, minan_enterprise, on=date(2024, 12, 1), actor=agency_user)


def test_guidance_files_are_served_only_in_scope(
    login, agency_user, station_officer, other_station_officer, minan_enterprise
):
    rec = record(
        agency_user.agency,
        minan_enterprise,
        files=[SimpleUploadedFile("记录表.pdf", b"%PDF-1.4 record")],
    )
    url = reverse("agencies:guidance_file", kwargs={"pk": rec.files.get().pk})
    assert login(agency_user).get(url).status_code == 200
    assert login(station_officer).get(url).status_code == 200
    assert login(other_station_officer).get(url).status_code == 404


def test_ending_an_assignment_ends_the_agencys_scope(
    login, station_officer, agency_user, minan_enterprise
):
    assignment = AgencyAssignment.objects.get(agency=agency_user.agency)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = login(station_officer).post(
        reverse("agencies:assignment_end", kwargs={"pk": assignment.pk}),
        {"end_on": yesterday.isoformat()},
    )
    assert response.status_code == 302
    detail = reverse("enterprises:detail", kwargs={"pk": minan_enterprise.pk})
    assert login(agency_user).get(detail).status_code == 404


def test_the_station_assigns_an_agency_to_one_of_its_enterprises_only(
    login, station_officer, xindian_enterprise, minan_enterprise
):
    agency = AgencyFactory()
    client = login(station_officer)
    url = reverse("agencies:assign", kwargs={"pk": agency.pk})
    client.post(url, {"enterprise": xindian_enterprise.uscc, "start_on": "2025-07-01"})
    assert not AgencyAssignment.objects.filter(agency=agency).exists()
    client.post(url, {"enterprise": minan_enterprise.uscc, "start_on": "2025-07-01"})
    assert AgencyAssignment.objects.get(agency=agency).enterprise == minan_enterprise


# --- independence


def test_a_guidance_record_or_a_started_assignment_makes_an_agency_a_consultant(
    minan_enterprise, xindian_enterprise
):
    agency = AgencyFactory()
    assert not consulted(agency, minan_enterprise)
    AgencyAssignment.objects.create(
        agency=agency,
        enterprise=minan_enterprise,
        start_on=timezone.localdate() + timedelta(days=10),
    )
    assert not consulted(agency, minan_enterprise)  # not started yet
    assign_agency(agency, xindian_enterprise)
    record(agency, xindian_enterprise)
    AgencyAssignment.objects.filter(agency=agency, enterprise=xindian_enterprise).delete()
    assert consulted(agency, xindian_enterprise)  # the record alone is enough


def test_an_expert_registered_with_a_consulting_agency_or_the_enterprise_may_not_review(
    minan_enterprise, agency_user
):
    via_agency = UserFactory(role=Role.EXPERT)
    Expert.objects.create(name="甲", phone="1", user=via_agency, agency=agency_user.agency)
    insider = UserFactory(role=Role.EXPERT)
    Expert.objects.create(name="乙", phone="2", user=insider, enterprise=minan_enterprise)
    free = UserFactory(role=Role.EXPERT)
    Expert.objects.create(name="丙", phone="3", user=free)
    problems = reviewer_conflicts(
        agency=None, experts=[via_agency, insider, free], enterprise=minan_enterprise
    )
    assert len(problems) == 2
    assert "所在机构为该企业提供过技术服务" in problems[0]
    assert "在该企业任职" in problems[1]


# --- registries, imports, workload


def test_the_registry_import_reports_rows_and_writes_all_or_nothing(station_officer):
    head = "机构名称,资质,服务行业,联系人,联系电话,状态\n"
    bad = (
        head + "厦门甲安全技术有限公司,标准化咨询,机械、轻工,郭海峰,0592-7210000,在册\n"
        "厦门乙安全技术有限公司,,机械、造船,,,在册\n"
        "厦门甲安全技术有限公司,,,,,\n"
    )
    outcome = import_agencies(bad.encode(), user=station_officer, filename="机构.csv")
    found = [(e.row, e.column) for e in outcome.errors]
    assert found == [(3, "服务行业"), (4, "机构名称")]
    assert "造船" in outcome.errors[0].message
    assert not Agency.objects.exists() and not outcome.written
    good = head + "厦门甲安全技术有限公司,标准化咨询,机械、轻工,郭海峰,0592-7210000,在册\n"
    outcome = import_agencies(good.encode(), user=station_officer, filename="机构.csv")
    assert (outcome.created, outcome.written) == (1, True)
    agency = Agency.objects.get()
    assert agency.specialty_labels == ["机械", "轻工"]
    again = import_agencies(
        (head + "厦门甲安全技术有限公司,安全评价,,,,暂停\n").encode(),
        user=station_officer,
        filename="机构.csv",
    )
    assert (again.created, again.updated) == (0, 1)
    agency.refresh_from_db()
    assert (agency.qualification, agency.status, agency.is_active) == (
        "安全评价",
        "suspended",
        False,
    )
    assert agency.specialty_labels == ["机械", "轻工"]  # blank cells clear nothing


def test_the_expert_import_needs_a_known_agency(station_officer):
    AgencyFactory(name="厦门安泰安全技术服务有限公司")
    head = "姓名,联系电话,工作单位,专业行业,所在机构\n"
    text = (
        head + "曾国庆,13900000000,安泰,机械,厦门安泰安全技术服务有限公司\n"
        "林某,13900000001,,,不存在的机构\n"
    )
    outcome = import_experts(text.encode(), user=station_officer, filename="专家.csv")
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "所在机构")]
    assert not Expert.objects.exists()
    outcome = import_experts(
        text.splitlines()[0].encode() + b"\n" + text.splitlines()[1].encode(),
        user=station_officer,
        filename="专家.csv",
    )
    assert outcome.created == 1 and Expert.objects.get().agency.name.startswith("厦门安泰")


def test_registry_exports_have_the_import_headers(login, station_officer):
    import io

    import openpyxl

    AgencyFactory(name="厦门甲安全技术有限公司", specialties="machinery")
    response = login(station_officer).get(reverse("agencies:export"))
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    header = [c.value for c in sheet[3]]
    assert header[:2] == ["序号", "机构名称"] and "服务行业" in header
    assert [c.value for c in sheet[4]][1:2] == ["厦门甲安全技术有限公司"]


def queries(client, name) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def populate(n):
    for _ in range(n):
        agency = AgencyFactory()
        enterprise = make_enterprise()
        assign_agency(agency, enterprise)
        record(agency, enterprise)
        user = UserFactory(role=Role.EXPERT)
        Expert.objects.create(name=user.username, phone="139", agency=agency, user=user)


@pytest.mark.parametrize(
    "name", ["agencies:list", "agencies:guidance", "agencies:experts", "agencies:workload"]
)
def test_list_pages_run_the_same_number_of_queries_for_3_and_12_rows(login, station_officer, name):
    client = login(station_officer)
    populate(3)
    few = queries(client, name)
    populate(9)
    assert queries(client, name) == few


def test_workload_counts_only_enterprises_in_scope(login, station_officer, reference):
    agency = AgencyFactory(name="两地机构")
    assign_agency(agency, make_enterprise())
    assign_agency(agency, make_enterprise("350213002"))
    response = login(station_officer).get(reverse("agencies:workload"))
    row = next(a for a in response.context["agencies"] if a.pk == agency.pk)
    assert (row.serving, row.ever) == (1, 1)


def test_the_expert_registry_is_for_region_roles_only(login, agency_user):
    assert login(agency_user).get(reverse("agencies:experts")).status_code == 403
    assert login(agency_user).get(reverse("agencies:list")).status_code == 200


def test_guidance_record_keeps_its_agency(agency_user, minan_enterprise):
    rec = record(agency_user.agency, minan_enterprise)
    assert GuidanceRecord.objects.get().agency == agency_user.agency == rec.agency


def test_the_station_records_its_own_guidance_at_a_not_yet_eligible_enterprise(
    login, station_officer, other_station_officer, agency_user, minan_enterprise, xindian_enterprise
):
    from anbiao.enterprises.models import Enterprise

    Enterprise.objects.filter(pk=minan_enterprise.pk).update(eligible=False)  # 暂未达到条件
    client = login(station_officer)
    response = client.post(
        reverse("agencies:guidance_create"),
        {
            "agency": "",
            "enterprise": minan_enterprise.uscc,
            "visited_on": "2025-09-10",
            "content": "上门讲解标准化创建要求",
            "issues": "安全管理制度未成文",
            "file": SimpleUploadedFile("现场照片.pdf", b"%PDF-1.4 photo"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    rec = GuidanceRecord.objects.get(enterprise=minan_enterprise)
    assert rec.agency is None and rec.by_station and rec.files.count() == 1
    assert rec.provider == (station_officer.department or "民安街道安监站")
    page = client.get(reverse("enterprises:detail", kwargs={"pk": minan_enterprise.pk}))
    text = page.content.decode()
    assert 'id="guidance-panel"' in text and "上门讲解标准化创建要求" in text
    listed = client.get(reverse("agencies:guidance"), {"agency": "station"}).context["page"]
    assert [r.pk for r in listed] == [rec.pk]
    # Not an agency's consultation: it does not bar any agency from reviewing.
    assert not consulted(agency_user.agency, xindian_enterprise)
    # Another station may neither record at nor read this enterprise.
    other = login(other_station_officer)
    response = other.post(
        reverse("agencies:guidance_create"),
        {"enterprise": minan_enterprise.uscc, "visited_on": "2025-09-10", "content": "越权"},
    )
    assert GuidanceRecord.objects.count() == 1
    detail = other.get(reverse("agencies:guidance_detail", kwargs={"pk": rec.pk}))
    assert detail.status_code == 404


def test_an_agency_user_cannot_record_guidance_as_the_station(agency_user, minan_enterprise):
    with pytest.raises(PermissionDenied):
        services.guidance_record(
            actor=agency_user,
            agency=None,
            enterprise=minan_enterprise,
            visited_on=timezone.localdate(),
            content="冒充安监站",
        )


@pytest.mark.parametrize("kind", ["agency", "expert"])
def test_a_registry_check_writes_nothing_opens_no_transaction_and_tells_what_the_import_does(
    kind, station_officer, transactions_opened
):
    """The check tries each row by the service's own rules in memory (on SQLite any
    transaction takes the write lock): the same counts and messages as the import after it."""
    AgencyFactory(name="厦门甲安全技术有限公司", qualification="标准化咨询")
    if kind == "agency":
        importer, model = import_agencies, Agency
        text = (
            "机构名称,资质,服务行业,联系人\n"
            "厦门甲安全技术有限公司,安全评价,,\n"  # changed
            "厦门乙安全技术有限公司,标准化咨询,机械,\n"  # new
            f"厦门丙安全技术有限公司,,,{'长' * 80}\n"  # the model refuses: too long
        )
    else:
        services.expert_save(actor=None, data={"name": "曾国庆", "phone": "13900000000"})
        importer, model = import_experts, Expert
        text = (
            "姓名,联系电话,职称/职务,所在机构\n"
            "曾国庆,13900000000,高级工程师,厦门甲安全技术有限公司\n"  # changed
            "陈立,13900000001,,\n"  # new
            f"林某,13900000002,{'长' * 80},\n"  # the model refuses: too long
        )
    before = list(model.objects.values())
    opened = transactions_opened()
    check = importer(
        text.encode(), user=station_officer, filename="名录.csv", dry_run=True, skip_invalid=True
    )
    assert opened == []
    assert list(model.objects.values()) == before
    assert (check.created, check.updated, check.invalid, check.written) == (1, 1, 1, False)
    assert [e.row for e in check.errors] == [4]
    done = importer(text.encode(), user=station_officer, filename="名录.csv", skip_invalid=True)
    assert (done.created, done.updated, done.invalid, done.written) == (1, 1, 1, True)
    assert [(e.row, e.column, e.message) for e in done.errors] == [
        (e.row, e.column, e.message) for e in check.errors
    ]
    assert model.objects.count() == len(before) + 1
