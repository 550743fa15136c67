from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anbiao.benchmarks.models import Benchmark, CrossVisit
from anbiao.testing.factories import ALL_PILOT_STAGES, choose_benchmark, make_enterprise

pytestmark = pytest.mark.django_db
STEPS = list(zip(ALL_PILOT_STAGES, [date(2025, 11, 1)] * 4, strict=True))


def queries(client, name, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def populate(n):
    for i in range(n):
        choose_benchmark(make_enterprise(), date(2025, 10, 1), *(STEPS if i % 2 else ()))
        CrossVisit.objects.create(
            visited_on=date(2026, 5, 1),
            host_name=f"外地标杆{i}",
            region=make_enterprise().region,
            participants="林志明",
        ).enterprises.set([make_enterprise()])


@pytest.mark.parametrize("name", ["benchmarks:list", "benchmarks:catalog", "benchmarks:visits"])
def test_list_pages_run_the_same_number_of_queries_for_3_and_12_rows(login, station_officer, name):
    client = login(station_officer)
    populate(3)
    few = queries(client, name)
    populate(9)
    assert queries(client, name) == few


def test_the_station_chooses_a_candidate_by_uscc_and_records_a_stage_with_a_file(
    login, station_officer, minan_enterprise
):
    client = login(station_officer)
    response = client.post(
        reverse("benchmarks:create"),
        {"enterprise": minan_enterprise.uscc, "chosen_on": "2025-10-15", "reason": "基础好"},
    )
    benchmark = Benchmark.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("benchmarks:detail", kwargs={"pk": benchmark.pk})
    response = client.post(
        reverse("benchmarks:stage", kwargs={"pk": benchmark.pk}),
        {
            "stage": "pilot_create",
            "on": "2025-11-01",
            "note": "制定创建方案",
            "file": SimpleUploadedFile("方案.pdf", b"%PDF-1.4 x"),
        },
    )
    assert response.status_code == 302
    event = benchmark.events.get(stage="pilot_create")
    download = client.get(reverse("benchmarks:file", kwargs={"pk": event.files.get().pk}))
    assert download.status_code == 200
    page = client.get(reverse("benchmarks:detail", kwargs={"pk": benchmark.pk})).content.decode()
    assert "制定创建方案" in page and "方案.pdf" in page


def test_a_skipped_stage_is_refused_on_the_page_with_a_chinese_error(
    login, station_officer, minan_enterprise
):
    benchmark = choose_benchmark(minan_enterprise)
    response = login(station_officer).post(
        reverse("benchmarks:stage", kwargs={"pk": benchmark.pk}),
        {"stage": "established", "on": "2025-11-01"},
    )
    assert response.status_code == 200
    assert "established" not in dict(response.context["form"].fields["stage"].choices)
    benchmark.refresh_from_db()
    assert benchmark.stage == "candidate"


def test_an_enterprise_of_another_subdistrict_cannot_be_chosen(
    login, station_officer, xindian_enterprise
):
    response = login(station_officer).post(
        reverse("benchmarks:create"),
        {"enterprise": xindian_enterprise.uscc, "chosen_on": "2025-10-15", "reason": "好"},
    )
    assert response.status_code == 200
    assert "没有找到企业" in response.content.decode()
    assert xindian_enterprise.name not in response.content.decode()
    assert not Benchmark.objects.exists()


def test_the_catalog_page_shows_established_benchmarks_only(login, district_officer, reference):
    choose_benchmark(make_enterprise(name="厦门建成有限公司"), date(2025, 10, 1), *STEPS)
    choose_benchmark(make_enterprise(name="厦门试点有限公司"), date(2025, 10, 1))
    response = login(district_officer).get(reverse("benchmarks:catalog"))
    names = [b.enterprise.name for b in response.context["page"]]
    assert names == ["厦门建成有限公司"]


def test_a_cross_learning_visit_is_recorded_with_our_enterprises(
    login, station_officer, minan_enterprise
):
    response = login(station_officer).post(
        reverse("benchmarks:visit_create"),
        {
            "visited_on": "2026-05-20",
            "host_name": "厦门某标杆有限公司",
            "host_region": "新店街道",
            "region": minan_enterprise.region_id,
            "participants": "林志明、张三",
            "participant_count": 2,
            "enterprises": minan_enterprise.name,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = CrossVisit.objects.get()
    assert list(visit.enterprises.all()) == [minan_enterprise]


def test_the_primary_button_moves_a_benchmark_to_its_next_stage_and_none_once_established(
    login, station_officer, minan_enterprise
):
    client = login(station_officer)
    benchmark = choose_benchmark(minan_enterprise, date(2025, 10, 1))
    url = reverse("benchmarks:detail", kwargs={"pk": benchmark.pk})
    page = client.get(url).content.decode()
    assert "进入“创建试点”阶段" in page and 'id="next-stage"' in page
    established = choose_benchmark(
        make_enterprise(name="厦门已建成标杆有限公司"),
        date(2025, 10, 1),
        *STEPS,
    )
    page = client.get(reverse("benchmarks:detail", kwargs={"pk": established.pk})).content.decode()
    assert 'id="next-stage"' not in page and 'class="btn" id="adjust-stage"' in page
