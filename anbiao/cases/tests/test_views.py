import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anbiao.accounts.models import Region
from anbiao.cases import services
from anbiao.cases.choices import CaseState
from anbiao.cases.models import Assessment, Case, Certificate, StandardItem
from anbiao.cases.selectors import annotate_board
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import certify, make_enterprise, record_steps

pytestmark = pytest.mark.django_db


def on_this_database(queries: int) -> int:
    """A page's pinned queries: PostgreSQL adds the session's row (sessions are kept in the
    database there) and the region filter's choices read through a server-side cursor (DECLARE,
    FETCH, CLOSE)."""
    return queries + (4 if connection.vendor == "postgresql" else 0)


def board_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("cases:board"), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def populate(n):
    for i in range(n):
        enterprise = make_enterprise()
        if i % 3 == 0:
            certify(enterprise, date(2025, 1, 1) + timedelta(days=i))
        elif i % 3 == 1:
            record_steps(enterprise, ("start", date(2025, 3, 1)))


def test_the_board_runs_the_same_number_of_queries_for_6_and_60_enterprises(login, station_officer):
    client = login(station_officer)
    populate(6)
    filtered = {"follow_up": "expiring", "days": 2000, "q": "厦门", "page": 1}
    few, few_filtered = board_queries(client), board_queries(client, filtered)
    populate(54)
    assert board_queries(client) == few
    assert board_queries(client, {**filtered, "page": 2}) == few_filtered


def test_the_board_counts_each_state_and_filters_by_it(login, station_officer):
    populate(6)
    response = login(station_officer).get(reverse("cases:board"))
    counts = {s: n for s, _, n in response.context["counts"]}
    assert counts[CaseState.CERTIFIED] == 2
    assert counts[CaseState.IN_PROGRESS] == 2
    assert counts[CaseState.NOT_STARTED] == 2
    rows = login(station_officer).get(reverse("cases:board"), {"state": "certified"})
    assert {e.case_state for e in rows.context["page"]} == {"certified"}


def test_follow_up_lists(login, station_officer):
    today = timezone.localdate()
    expiring, expired, fine = make_enterprise(), make_enterprise(), make_enterprise()
    certify(expiring, today - timedelta(days=30), expires_on=today + timedelta(days=40))
    certify(expired, today - timedelta(days=400), expires_on=today - timedelta(days=5))
    certify(fine, today - timedelta(days=30))
    client = login(station_officer)

    def names(params):
        page = client.get(reverse("cases:board"), params).context["page"]
        return {e.name for e in page}

    assert names({"follow_up": "expiring"}) == {expiring.name}
    assert names({"follow_up": "expiring", "days": 30}) == set()
    assert names({"follow_up": "expired"}) == {expired.name}


def test_annual_self_evaluation_overdue(login, station_officer, settings):
    settings.ANBIAO_ANNUAL_SELF_EVALUATION_DUE = "01-31"
    today = timezone.localdate()
    late, done = make_enterprise(), make_enterprise()
    issued = date(today.year - 2, 6, 1)
    certify(late, issued, expires_on=today + timedelta(days=400))
    certify(done, issued, expires_on=today + timedelta(days=400))
    from anbiao.cases.certificates import annual_year_due

    year = annual_year_due(today)
    record_steps(done, ("annual", min(date(year, 1, 20), today)))
    page = login(station_officer).get(reverse("cases:board"), {"follow_up": "annual_overdue"})
    assert {e.name for e in page.context["page"]} == {late.name}


def test_the_export_holds_the_filtered_rows(login, station_officer):
    populate(6)
    response = login(station_officer).get(reverse("cases:export"), {"state": "certified"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(rows) == 2 and {r[6] for r in rows} == {"已定级"}
    assert "创建状态:已定级" in sheet.cell(row=2, column=1).value


def post_step(client, enterprise, **data):
    return client.post(reverse("cases:record", kwargs={"pk": enterprise.pk}), data)


def test_an_officer_takes_an_enterprise_to_a_certificate_and_through_renewal_in_the_ui(
    login, station_officer, grading_officer, minan_enterprise, reviewer_agency
):
    from django.test import Client

    grader = Client()
    grader.force_login(grading_officer)
    client = login(station_officer)
    e = minan_enterprise
    today = timezone.localdate()
    d = today - timedelta(days=3 * 365 + 60)

    def day(n):
        return (d + timedelta(days=n)).isoformat()

    assert post_step(client, e, kind="start", on=day(0)).status_code == 302
    assert post_step(client, e, kind="self_assessed", on=day(60), score="78.5").status_code == 302
    assert post_step(client, e, kind="apply", on=day(70)).status_code == 302
    response = client.post(
        reverse("cases:assign_review", kwargs={"pk": e.pk}),
        {"on": day(80), "agency": reviewer_agency.pk},
    )
    assert response.status_code == 302
    # The 定级部门 decides the grade and issues the certificate on its own page.
    decide = reverse("cases:decide", kwargs={"pk": e.pk})
    response = grader.post(
        decide, {"kind": "review_pass", "on": day(90), "grade": "level3", "score": "75"}
    )
    assert response.status_code == 302
    response = grader.post(decide, {"kind": "certificate", "on": day(100), "number": "XA-001"})
    assert response.status_code == 302, response.content.decode()[:2000]
    first = Certificate.objects.get(number="XA-001")
    assert first.grade == "level3"
    # Renewal: a certified case applies again before expiry, passes, gets a successor; the
    # station enters the decisions it was sent (街道代录).
    sent = {"proxy_for": "翔安区应急管理局"}
    for kind, n, extra in [
        ("apply", 1000, {}),
        ("review_pass", 1030, {"grade": "level2"} | sent),
        ("renewal", 1050, {"number": "XA-002", "issuer": "翔安区应急管理局"} | sent),
    ]:
        response = post_step(client, e, kind=kind, on=day(n), **extra)
        assert response.status_code == 302, response.content.decode()[:3000]
    second = Certificate.objects.get(number="XA-002")
    assert second.replaces == first and second.grade == "level2"
    page = client.get(reverse("cases:detail", kwargs={"pk": e.pk})).content.decode()
    assert "已换证" in page and "XA-002" in page and "二级" in page
    assert "街道代录" in page and "换发自 XA-001" in page
    panel = client.get(reverse("enterprises:detail", kwargs={"pk": e.pk})).content.decode()
    assert 'id="case-panel"' in panel and "已定级" in panel and "XA-002" in panel


def test_an_illegal_step_in_the_ui_is_explained_and_writes_nothing(
    login, station_officer, minan_enterprise
):
    response = post_step(
        login(station_officer), minan_enterprise, kind="certificate", on="2025-05-01", number="X"
    )
    assert response.status_code == 200
    assert "取得证书之前须有“评审通过”记录" in response.content.decode()
    assert not Certificate.objects.exists()


def test_self_evaluation_autosaves_each_item_and_submits_a_score(
    login, enterprise_user, minan_enterprise
):
    client = login(enterprise_user)
    response = client.post(
        reverse("cases:self_assessment", kwargs={"pk": minan_enterprise.pk}), {"kind": "self"}
    )
    assessment = Assessment.objects.get()
    page_url = reverse("cases:assessment", kwargs={"pk": assessment.pk})
    assert response["Location"] == page_url
    items = list(StandardItem.objects.filter(standard=assessment.standard))
    na_item = next(i for i in items if i.na_allowed and i != items[0])
    url = reverse("cases:assessment_item", kwargs={"pk": assessment.pk})
    saved = client.post(url, {"item": items[0].pk, "deducted": "1"}, HTTP_HX_REQUEST="true")
    assert "已保存" in saved.content.decode() and 'id="score-summary"' in saved.content.decode()
    submit = reverse("cases:assessment_submit", kwargs={"pk": assessment.pk})
    client.post(submit)
    assessment.refresh_from_db()
    assert assessment.is_draft  # the deduction has no reason yet, and most items are unanswered
    client.post(
        url, {"item": items[0].pk, "verdict": "deduct", "deducted": "1", "reason": "目标未分解"}
    )
    client.post(url, {"item": na_item.pk, "verdict": "na", "reason": "不涉及"})
    for item in items:
        if item not in (items[0], na_item):
            client.post(url, {"item": item.pk, "verdict": "conform"})
    client.post(submit)
    assessment.refresh_from_db()
    total = sum(i.points for i in items)
    expected = round((total - na_item.points - 1) / (total - na_item.points) * 100, 1)
    assert not assessment.is_draft and assessment.score == expected
    assert services.current_case(minan_enterprise).state == CaseState.SELF_ASSESSED


def test_an_untouched_form_has_no_score_and_cannot_be_submitted(
    login, enterprise_user, minan_enterprise
):
    client = login(enterprise_user)
    assessment = services.assessment_start(
        actor=enterprise_user, enterprise=minan_enterprise, kind="self"
    )
    count = assessment.standard.items.count()
    page = client.get(reverse("cases:assessment", kwargs={"pk": assessment.pk})).content.decode()
    assert '<div class="display-6 fw-bold" id="score-value">—</div>' in page
    assert f"尚有 {count} 项未评定" in page and "全部评定后给出" in page
    assert '<span class="text-secondary">全部评定后给出</span>' in page  # not 100.0 / 一级
    response = client.post(reverse("cases:assessment_submit", kwargs={"pk": assessment.pk}))
    assessment.refresh_from_db()
    assert assessment.is_draft
    message = client.get(response["Location"]).content.decode()
    assert f"不能提交:{count} 项尚未评定" in message


def test_a_deduction_above_the_items_points_is_refused_at_once(
    login, enterprise_user, minan_enterprise
):
    client = login(enterprise_user)
    assessment = services.assessment_start(
        actor=enterprise_user, enterprise=minan_enterprise, kind="self"
    )
    item = assessment.standard.items.order_by("points").first()
    url = reverse("cases:assessment_item", kwargs={"pk": assessment.pk})
    too_much = item.points + 1
    answer = client.post(
        url, {"item": item.pk, "verdict": "deduct", "deducted": str(too_much), "reason": "x"}
    ).content.decode()
    assert f"第{item.code}项扣分 {too_much:.1f} 超过该项标准分 {item.points} 分" in answer
    assert not assessment.scores.filter(item=item).exists()  # nothing saved, nothing capped


def test_a_review_shows_the_self_evaluation_beside_it(
    login, station_officer, minan_enterprise, reviewer_agency
):
    own = services.assessment_start(actor=None, enterprise=minan_enterprise, kind="self")
    item = own.standard.items.first()
    services.assessment_save_item(
        actor=None, assessment=own, item=item, deducted=1, reason="自查发现目标未分解"
    )
    services.assessment_conform_rest(actor=None, assessment=own)
    services.assessment_submit(actor=None, assessment=own, on=date(2025, 4, 1))
    record_steps(minan_enterprise, ("apply", date(2025, 5, 1)))
    review = services.review_assign(
        actor=None, enterprise=minan_enterprise, on=date(2025, 5, 2), agency=reviewer_agency
    )
    page = login(station_officer).get(reverse("cases:assessment", kwargs={"pk": review.pk}))
    assert "自评:扣 1.0 分(自查发现目标未分解)" in page.content.decode()


def test_evidence_upload_checks_content_and_downloads_only_in_scope(
    login, enterprise_user, minan_enterprise, other_station_officer, station_officer
):
    client = login(enterprise_user)
    url = reverse("cases:evidence_upload", kwargs={"pk": minan_enterprise.pk})
    fake = SimpleUploadedFile("制度.pdf", b"MZ\x90\x00 not a pdf")
    client.post(url, {"file": fake})
    from anbiao.cases.models import EvidenceFile

    assert not EvidenceFile.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("制度.pdf", b"%PDF-1.4 hello")})
    evidence = EvidenceFile.objects.get()
    assert not evidence.file.name.endswith("制度.pdf")  # stored under a random name
    download = reverse("cases:evidence", kwargs={"pk": evidence.pk})
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert login(station_officer).get(download).status_code == 200
    assert login(other_station_officer).get(download).status_code == 404


def test_the_next_step_card_offers_the_state_machines_next_step_as_primary(
    login, station_officer, minan_enterprise
):
    client = login(station_officer)
    url = reverse("cases:detail", kwargs={"pk": minan_enterprise.pk})
    record_steps(minan_enterprise, ("start", date(2025, 3, 1)), ("self_assessed", date(2025, 4, 1)))
    page = client.get(url).content.decode()
    assert 'class="btn w-100 mb-2 btn-primary next-step-apply"' in page
    assert 'class="btn w-100 mb-2 next-step-self_assessed"' in page  # still legal, secondary
    certify(make_enterprise(name="厦门已定级机械有限公司"), date(2025, 6, 1))
    certified = Certificate.objects.get().case.enterprise
    page = client.get(reverse("cases:detail", kwargs={"pk": certified.pk})).content.decode()
    assert 'class="btn w-100 mb-2 btn-primary next-step-annual"' in page
    assert 'class="btn w-100 mb-2 next-step-apply"' in page
    assert "btn-primary next-step-revoke" not in page


def test_the_board_states_its_population(login, station_officer):
    page = login(station_officer).get(reverse("cases:board")).content.decode()
    assert 'id="population">统计范围:辖区内全部登记企业' in page


# --- The board at scale: read region by region, states counted from the current cases ---------

BOARD_REGIONS = ("350213007", "350213002", "350213003")  # 民安, 新店, 马巷


def spread_cases(count: int) -> None:
    """`count` enterprises over three 街道: certified, started, applied or not started; one
    certified enterprise whose new cycle was started again (its current case decides)."""
    for i in range(count):
        enterprise = make_enterprise(
            BOARD_REGIONS[i % 3], name=f"厦门{(i * 7) % count}号{'甲乙丙丁'[i % 4]}有限公司"
        )
        if i % 4 == 0:
            certify(enterprise, date(2025, 1, 1) + timedelta(days=i))
        elif i % 4 == 1:
            record_steps(enterprise, ("start", date(2025, 3, 1)))
        elif i % 4 == 2:
            record_steps(enterprise, ("start", date(2025, 3, 1)), ("apply", date(2025, 5, 1)))
        if i == 4:
            Case.objects.create(enterprise=enterprise, cycle=2, state=CaseState.IN_PROGRESS)


def board_walk(client, params) -> list[tuple[str, str]]:
    rows, number = [], 1
    while True:
        page = client.get(reverse("cases:board"), {**params, "page": number}).context["page"]
        rows += [(e.name, e.case_state) for e in page]
        if not page.has_next():
            return rows
        number += 1


def test_paging_the_board_shows_each_enterprise_once_with_its_current_state(
    login, district_officer, settings, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    spread_cases(22)
    annotated = annotate_board(Enterprise.objects.all()).order_by(
        "region__path", "name_pinyin", "id"
    )
    expected = [(e.name, e.case_state) for e in annotated]
    client = login(district_officer)
    assert board_walk(client, {}) == expected
    counts = {s: n for s, _, n in client.get(reverse("cases:board")).context["counts"]}
    for state in CaseState:
        in_state = [row for row in expected if row[1] == state]
        assert counts[state] == len(in_state), state
        assert board_walk(client, {"state": state.value}) == in_state, state
    assert counts[CaseState.CERTIFIED] == 5  # the enterprise started again is in progress


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 6),
        ({"page": 3}, 6),
        ({"state": "certified"}, 6),  # the same tally gives the state's groups and every total
        ({"state": "not_started", "q": "厦门"}, 6),
        ({"follow_up": "expiring", "days": 2000}, 6),
        ({"ordering": "-score", "page": 2}, 7),  # + the paginator's count of the sorted rows
    ],
    ids=["first", "later", "state", "not-started", "follow-up", "sorted"],
)
def test_the_board_pins_its_queries_whatever_the_number_of_enterprises(
    login, district_officer, settings, params, queries, django_assert_num_queries, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    client = login(district_officer)
    spread_cases(12)
    client.get(reverse("cases:board"), params)
    # user, region, the tally (rows per region and state), the page's rows, the bell, the region
    # filter's choices
    with django_assert_num_queries(on_this_database(queries)):
        client.get(reverse("cases:board"), params)
    spread_cases(36)
    with django_assert_num_queries(on_this_database(queries)):
        client.get(reverse("cases:board"), params)


def test_picking_a_state_keeps_every_states_card_and_pages_only_that_state(
    login, district_officer, settings, sort_below
):
    settings.ANBIAO_PAGE_SIZE = 4
    spread_cases(24)
    make_enterprise("350213002", name="厦门新店无进度有限公司")  # another region, not started
    client = login(district_officer)
    minan = {"region": Region.objects.get(code="350213007").pk, "q": "厦门"}

    def shown(params):
        context = client.get(reverse("cases:board"), params).context
        cards = {state: n for state, _, n in context["counts"]}
        return cards, context["total"], context["page"].paginator.count

    cards, total, listed = shown(minan)
    assert total == listed == 8 and cards[CaseState.CERTIFIED] == 2
    for state in CaseState:
        picked = {**minan, "state": state.value}
        assert shown(picked) == (cards, total, cards[state]), state
        assert len(board_walk(client, picked)) == cards[state]
