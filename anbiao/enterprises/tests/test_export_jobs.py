"""Large exports in the background (enterprises/export_jobs.py): above ANBIAO_EXPORT_INLINE_ROWS
rows the registry and 附件3 exports are queued for the worker, show a progress bar, and are
downloaded from their page with exactly the rows the same request would have streamed; smaller
ones still stream back at once. A job whose worker died is marked 失败."""

import io
import os
import time
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from anbiao.accounts.choices import Role
from anbiao.enterprises.choices import Industry, Size
from anbiao.enterprises.export_jobs import _progress_path, run_export, visible_jobs
from anbiao.enterprises.models import ExportJob
from anbiao.testing.factories import UserFactory, make_enterprise, region

pytestmark = pytest.mark.django_db


def cells(response) -> list[list]:
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def background(settings):
    settings.ANBIAO_EXPORT_INLINE_ROWS = 1


def test_a_large_registry_export_is_built_in_the_background_with_the_same_rows(
    login, station_officer, xindian_enterprise, background
):
    make_enterprise(name="甲机械", industry=Industry.MACHINERY)
    make_enterprise(name="乙纺织", industry=Industry.TEXTILE)
    make_enterprise(name="丙机械", industry=Industry.MACHINERY)
    client = login(station_officer)
    response = client.get(reverse("enterprises:export"), {"industry": "machinery"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:export_job", args=[job.pk])
    assert (job.kind, job.status, job.total_rows) == ("registry", "queued", 2)
    page = client.get(response["Location"]).content.decode()
    assert "排队中,等待后台任务进程开始" in page and "0 / 2" in page
    assert client.get(reverse("enterprises:export_download", args=[job.pk])).status_code == 404

    run_export(job.pk)  # what `anbiao db-worker` does
    job.refresh_from_db()
    assert (job.status, job.total_rows) == ("done", 2)
    refresh = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert (refresh.status_code, refresh["HX-Refresh"]) == (204, "true")
    assert "导出完成:共 2 行" in client.get(response["Location"]).content.decode()
    download = client.get(reverse("enterprises:export_download", args=[job.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = cells(download)
    names = {row[1] for row in rows if isinstance(row[0], int | float)}
    assert names == {"甲机械", "丙机械"}
    assert "行业:机械" in rows[1][0]
    assert not _progress_path(job.pk).exists()


def test_a_large_attachment_3_is_built_in_the_background(login, station_officer, background):
    make_enterprise(name="厦门甲机械有限公司", size=Size.SMALL, ledger_since=date(2025, 2, 28))
    make_enterprise(name="厦门乙纺织有限公司", size=Size.MICRO, ledger_since=date(2025, 2, 28))
    client = login(station_officer)
    response = client.get(reverse("enterprises:ledger_export"), {"as_of": "2025-12-31"})
    job = ExportJob.objects.get()
    assert (response.status_code, job.kind, job.params) == (
        302,
        "attachment3",
        {"as_of": ["2025-12-31"]},
    )
    run_export(job.pk)
    download = client.get(reverse("enterprises:export_download", args=[job.pk]))
    values = cells(download)
    assert values[0][0] == "应创安全生产标准化非火炬高新区小微企业情况统计表"
    assert "2025年12月31日" in "".join(str(v) for v in values[1] if v)
    data = [row[1] for row in values[4:] if isinstance(row[0], int | float)]
    assert data == ["厦门甲机械有限公司", "厦门乙纺织有限公司"]


def test_a_small_export_still_streams_at_once(login, station_officer):
    make_enterprise(name="甲机械")
    response = login(station_officer).get(reverse("enterprises:export"))
    assert response.status_code == 200 and not ExportJob.objects.exists()


def test_another_station_cannot_see_the_job_and_a_dead_worker_is_reported(
    login, station_officer, other_station_officer, background, settings
):
    make_enterprise(name="甲机械")
    make_enterprise(name="乙机械")
    login(station_officer).get(reverse("enterprises:export"))
    job = ExportJob.objects.get()
    url = reverse("enterprises:export_job", args=[job.pk])
    assert login(other_station_officer).get(url).status_code == 404
    # A 行业部门 of the same 街道 sees only some industries: not the station's full export.
    department = UserFactory(role=Role.DEPARTMENT, region=region("350213007"))
    assert not visible_jobs(department).exists()
    assert visible_jobs(station_officer).get() == job
    ExportJob.objects.filter(pk=job.pk).update(status="running", started_at=job.created_at)
    _progress_path(job.pk).parent.mkdir(parents=True, exist_ok=True)
    _progress_path(job.pk).write_text('{"done": 1}')
    past = time.time() - settings.ANBIAO_IMPORT_LEASE_SECONDS - 5
    os.utime(_progress_path(job.pk), (past, past))
    page = login(station_officer).get(url).content.decode()
    assert "导出进程已中断" in page
    job.refresh_from_db()
    assert job.status == "failed"
    run_export(job.pk)  # a late worker does not build a failed job
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
