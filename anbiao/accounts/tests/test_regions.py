"""区划管理: the district and the administrator keep the communities of the tree."""

import io

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.accounts.models import Region
from anbiao.core.models import ChangeLog
from anbiao.testing.factories import make_enterprise, region

pytestmark = pytest.mark.django_db
URL = reverse("accounts:region_list")
MINAN = "350213007"


def communities():
    return sorted(Region.objects.filter(level="community").values_list("name", "code"))


def test_the_district_adds_renames_and_merges_communities(login, district_officer):
    client = login(district_officer)
    minan = region(MINAN)
    client.post(URL, {"action": "add", "parent": minan.pk, "name": "山亭社区"})
    client.post(
        URL, {"action": "add", "parent": minan.pk, "name": "山亭村", "code": "350213007201"}
    )
    assert communities() == [("山亭村", "350213007201"), ("山亭社区", "350213007901")]

    shanting = Region.objects.get(name="山亭社区")
    response = client.post(
        URL, {"action": "rename", "region": shanting.pk, "name": "山亭社区", "code": "350213007200"}
    )
    assert response.status_code == 302
    shanting.refresh_from_db()
    assert (shanting.code, shanting.path) == ("350213007200", "350213/350213007/350213007200/")

    village = Region.objects.get(name="山亭村")
    enterprise = make_enterprise(village.code)
    client.post(URL, {"action": "merge", "source": village.pk, "target": shanting.pk})
    enterprise.refresh_from_db()
    assert enterprise.region == shanting
    assert communities() == [("山亭社区", "350213007200")]
    assert ChangeLog.objects.filter(object_type="accounts.region").count() == 4


def test_a_bad_code_or_a_duplicate_name_is_refused_with_the_reason(login, district_officer):
    client = login(district_officer)
    minan = region(MINAN)
    client.post(URL, {"action": "add", "parent": minan.pk, "name": "山亭社区"})
    page = client.post(
        URL,
        {"action": "add", "parent": minan.pk, "name": "大宅社区", "code": "350213002001"},
        follow=True,
    ).content.decode()
    assert "以上级代码“350213007”开头" in page
    page = client.post(
        URL, {"action": "add", "parent": minan.pk, "name": "山亭社区"}, follow=True
    ).content.decode()
    assert "民安街道下已有“山亭社区”" in page
    assert communities() == [("山亭社区", "350213007901")]


def test_a_community_list_is_imported_from_yaml_or_excel_and_again_adds_nothing(
    login, admin_user, tmp_path
):
    client = login(admin_user)
    yaml_text = """
regions:
  - code: "350213007"
    name: 民安街道
    level: subdistrict
    children:
      - {code: "350213007001", name: 山亭社区, level: community}
      - {code: "350213007002", name: 大宅社区, level: community}
"""
    upload = SimpleUploadedFile("民安.yaml", yaml_text.encode())
    client.post(URL, {"action": "import", "file": upload})
    path = tmp_path / "新店.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["所属镇街", "社区名称", "区划代码"])
    sheet.write_row(1, 0, ["新店街道", "洪前社区", ""])
    book.close()
    client.post(
        URL, {"action": "import", "file": SimpleUploadedFile("新店.xlsx", path.read_bytes())}
    )
    assert communities() == [
        ("大宅社区", "350213007002"),
        ("山亭社区", "350213007001"),
        ("洪前社区", "350213002901"),
    ]
    page = client.post(
        URL,
        {"action": "import", "file": SimpleUploadedFile("民安.yaml", yaml_text.encode())},
        follow=True,
    ).content.decode()
    assert "新增0个,已有2个" in page


def test_stations_and_others_cannot_manage_regions(login, station_officer, enterprise_user):
    for user in (station_officer, enterprise_user):
        client = login(user)
        assert client.get(URL).status_code == 403
        client.post(URL, {"action": "add", "parent": region(MINAN).pk, "name": "偷建社区"})
    assert communities() == []


def test_the_list_is_filtered_exported_and_its_queries_pinned(
    login, district_officer, django_assert_max_num_queries
):
    client = login(district_officer)
    for name in ("山亭社区", "大宅社区", "云头社区"):
        client.post(URL, {"action": "add", "parent": region(MINAN).pk, "name": name})
    client.post(URL, {"action": "add", "parent": region("350213002").pk, "name": "洪前社区"})
    with django_assert_max_num_queries(12):
        page = client.get(URL, {"parent": MINAN}).content.decode()
    assert "<td>山亭社区</td>" in page and "<td>洪前社区</td>" not in page
    response = client.get(URL, {"parent": MINAN, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert sorted(names) == ["云头社区", "大宅社区", "山亭社区"]
