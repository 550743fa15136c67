"""The JSON API as a district system uses it: tokens, paging and incremental sync, the same
writes and messages as the web, the same metrics as `anbiao kpi --json`."""

import hashlib
import io
import json
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from anbiao.agencies.models import AgencyAssignment, GuidanceRecord
from anbiao.api.models import ApiToken, ApiTokenUse
from anbiao.api.services import token_create
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise
from anbiao.supervision.models import Checklist, Hazard, HazardEvent
from anbiao.supervision.services import hazard_register, hazard_transition, inspection_start
from anbiao.testing.factories import AgencyFactory, certify, make_enterprise, record_steps

MINAN = "350213007"
DAY = timezone.localdate


def secret_of(user, read_only=False, actor=None) -> str:
    later = DAY() + timedelta(days=30)
    return token_create(
        actor=actor or user, user=user, name="测试", expires_on=later, read_only=read_only
    )[1]


def bearer(secret) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def post(client, url, body, secret):
    return client.post(
        url, json.dumps(body), content_type="application/json", headers=bearer(secret)
    )


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_digest_is_stored(client, station_officer):
    client.force_login(station_officer)
    later = (DAY() + timedelta(days=10)).isoformat()
    page = client.post(reverse("tokens:create"), {"name": "区平台同步", "expires_on": later})
    secret = page.context["secret"]
    assert secret.startswith("anbiao_") and secret in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.read_only is False  # the box was left unticked
    assert not ApiToken.objects.filter(Q(digest=secret) | Q(prefix=secret) | Q(name=secret))
    listing = client.get(reverse("tokens:list")).content.decode()
    assert "区平台同步" in listing and secret not in listing and token.prefix in listing
    assert client.get("/api/v1/regions", headers=bearer(secret)).status_code == 200


def test_only_an_administrator_creates_a_token_for_another_account(
    client, admin_user, station_officer, district_officer
):
    system = district_officer  # stands for a district platform's system account
    client.force_login(admin_user)
    later = (DAY() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("tokens:create"),
        {"name": "区平台", "expires_on": later, "read_only": "on", "user": system.pk},
    )
    assert response.status_code == 200 and ApiToken.objects.get().user == system
    secret = response.context["secret"]
    assert client.get("/api/v1/campaigns", headers=bearer(secret)).status_code == 200
    with pytest.raises(PermissionDenied):
        token_create(actor=station_officer, user=system, name="x", expires_on=DAY() + timedelta(1))


def test_token_form_refuses_a_past_or_too_distant_expiry(client, station_officer):
    client.force_login(station_officer)
    for day, message in ((DAY(), "须晚于今天"), (DAY() + timedelta(days=400), "最长 365 天")):
        page = client.post(reverse("tokens:create"), {"name": "x", "expires_on": day.isoformat()})
        assert page.status_code == 200 and message in page.content.decode()
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused_at_once_and_every_use_is_logged(client, station_officer):
    secret = secret_of(station_officer)
    assert client.get("/api/v1/enterprises", headers=bearer(secret)).status_code == 200
    client.force_login(station_officer)
    token = ApiToken.objects.get()
    assert client.post(reverse("tokens:revoke", args=[token.pk])).status_code == 302
    client.logout()
    refused = client.get("/api/v1/enterprises", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == "接口令牌已吊销"
    uses = list(ApiTokenUse.objects.order_by("at", "id").values_list("status", "path", "user"))
    assert uses == [
        (200, "/api/v1/enterprises", station_officer.pk),
        (401, "/api/v1/enterprises", station_officer.pk),
    ]
    assert ChangeLog.objects.filter(object_type="api.apitoken").count() == 2  # create, revoke


def test_more_requests_than_the_limit_get_429_in_chinese(client, settings, station_officer):
    settings.ANBIAO_API_RATE_LIMIT = 3
    secret = secret_of(station_officer)
    answers = [client.get("/api/v1/regions", headers=bearer(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    error = answers[-1].json()["errors"][0]
    assert error["code"] == "rate_limited" and "每分钟最多 3 次" in error["message"]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    other = secret_of(station_officer)  # the window is per token
    assert client.get("/api/v1/regions", headers=bearer(other)).status_code == 200


def test_a_garbled_authorization_header_is_refused_not_taken_for_the_session(
    client, station_officer
):
    client.force_login(station_officer)
    for header in ("Bearer anbiao_nope", "Basic dXNlcjpwdw==", "Bearer "):
        response = client.get("/api/v1/regions", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_administrators_read_and_export_the_usage_log(
    client, admin_user, station_officer, django_assert_max_num_queries
):
    secret = secret_of(station_officer)
    for _ in range(3):
        client.get("/api/v1/cases", headers=bearer(secret), REMOTE_ADDR="10.1.2.3")
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("tokens:uses"), {"q": "10.1.2"})
    assert len(page.context["page"].object_list) == 3
    assert "/api/v1/cases" in page.content.decode()
    export = client.get(reverse("tokens:uses"), {"export": "1"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]
    assert len(rows) == 3 and rows[0][1] == station_officer.username and rows[0][6] == "10.1.2.3"
    client.force_login(station_officer)
    assert client.get(reverse("tokens:uses")).status_code == 403


def test_the_token_list_shows_own_tokens_with_bounded_queries(
    client, station_officer, other_station_officer, django_assert_max_num_queries
):
    for _ in range(5):
        secret_of(station_officer)
    secret_of(other_station_officer)
    client.force_login(station_officer)
    # 9 on PostgreSQL, where the session is read and saved in the database (on SQLite it lives in
    # the file cache): the same for 5 tokens as for 500.
    with django_assert_max_num_queries(9):
        page = client.get(reverse("tokens:list"), {"status": "active"})
    assert len(page.context["page"].object_list) == 5
    export = client.get(reverse("tokens:list"), {"export": "1"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert len([r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]]) == 5


# --- reads ----------------------------------------------------------------------------------


@pytest.fixture
def three(reference):
    return [
        make_enterprise(MINAN, name=n)
        for n in ("厦门甲机械有限公司", "厦门乙五金有限公司", "厦门丙塑胶有限公司")
    ]


def test_the_cursor_walks_every_row_once(client, station_officer, three):
    secret = secret_of(station_officer)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/enterprises", params, headers=bearer(secret)).json()
        seen += [row["uscc"] for row in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 2 and sorted(seen) == sorted(e.uscc for e in three)


def test_updated_since_and_if_modified_since_list_only_what_changed(client, station_officer, three):
    secret = secret_of(station_officer)
    mark = timezone.now() + timedelta(seconds=1)
    Enterprise.objects.filter(pk=three[1].pk).update(updated_at=mark + timedelta(minutes=5))
    changed = client.get(
        "/api/v1/enterprises", {"updated_since": mark.isoformat()}, headers=bearer(secret)
    ).json()
    assert [r["uscc"] for r in changed["items"]] == [three[1].uscc]
    header = {"If-Modified-Since": http_date(mark.timestamp() + 1)} | bearer(secret)
    by_header = client.get("/api/v1/enterprises", headers=header).json()
    assert [r["uscc"] for r in by_header["items"]] == [three[1].uscc]
    naive = client.get(
        "/api/v1/enterprises", {"updated_since": "2025-01-01T00:00:00"}, headers=bearer(secret)
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "updated_since"
    # An offset ISO 8601 allows and PostgreSQL does not (found by the API fuzzing): the same time
    # in UTC; a time that cannot be told in UTC is refused by name.
    far = client.get(
        "/api/v1/hazards",
        {"updated_since": "0181-05-27T02:51:47-22:46"},
        headers=bearer(secret),
    )
    assert far.status_code == 200, far.content
    edge = client.get(
        "/api/v1/enterprises",
        {"updated_since": "0001-01-01T00:00:00+05:00"},
        headers=bearer(secret),
    )
    assert edge.status_code == 422 and edge.json()["errors"][0]["field"] == "updated_since"


def test_search_and_filters_are_those_of_the_list_page(client, station_officer, three):
    secret = secret_of(station_officer)
    client.force_login(station_officer)
    for params in ({"q": "xmyjx"}, {"q": "jia"}, {"q": three[2].uscc[-6:]}, {"size": "small"}):
        api = client.get("/api/v1/enterprises", params, headers=bearer(secret)).json()
        page = client.get(reverse("enterprises:list"), params).context["page"]
        assert {r["id"] for r in api["items"]} == {e.pk for e in page.object_list}, params
    bad = client.get("/api/v1/enterprises", {"size": "huge"}, headers=bearer(secret))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "size"


def test_an_enterprise_is_found_by_uscc_or_id_only_within_scope(
    client, other_station_officer, three
):
    secret = secret_of(other_station_officer)
    for ref in (three[0].uscc, three[0].pk, three[0].uscc.lower()):
        response = client.get(f"/api/v1/enterprises/{ref}", headers=bearer(secret))
        assert response.status_code == 404 and three[0].name not in response.content.decode()


def test_campaign_metrics_are_the_kpi_command_json(client, district_officer, three):
    record_steps(three[0], ("start", date(2025, 5, 6)))
    out = io.StringIO()
    call_command("kpi", "--campaign", "minan-2025", "--json", stdout=out)
    secret = secret_of(district_officer)
    api = client.get("/api/v1/campaigns/minan-2025/metrics", headers=bearer(secret))
    assert api.status_code == 200
    assert api.json() == json.loads(out.getvalue())
    assert api.json()["metrics"]["started"] == 1


def test_the_ledger_as_of_a_date_marks_new_enterprises(client, station_officer, three):
    make_enterprise(MINAN, name="厦门新进机械有限公司", ledger_since=date(2025, 9, 1))
    secret = secret_of(station_officer)
    body = client.get("/api/v1/ledger", {"as_of": "2025-10-01"}, headers=bearer(secret)).json()
    assert len(body["items"]) == 4 and [r["new"] for r in body["items"]].count(True) == 1
    early = client.get("/api/v1/ledger", {"as_of": "2025-03-01"}, headers=bearer(secret)).json()
    assert len(early["items"]) == 3
    future = client.get("/api/v1/ledger", {"as_of": "2999-01-01"}, headers=bearer(secret))
    assert future.status_code == 422 and "不能晚于今天" in future.json()["errors"][0]["message"]


# --- writes: the same service, rules, audit and messages as the web -----------------------


def comparable_events(enterprise) -> list[dict]:
    fields = ("kind", "on", "note", "state_after", "grade", "score", "actor_id", "reverses_id")
    return list(
        CaseEvent.objects.filter(case__enterprise=enterprise).order_by("pk").values(*fields)
    )


def comparable_audit(enterprise) -> list[tuple]:
    rows = ChangeLog.objects.filter(enterprise=enterprise).order_by("pk")
    return [(r.actor_id, r.action, r.object_type, r.changes, r.note) for r in rows]


def test_a_write_through_the_api_and_the_web_produce_the_same_events_and_audit(
    client, station_officer
):
    web_e, api_e = (make_enterprise(MINAN) for _ in range(2))
    secret = secret_of(station_officer)
    client.force_login(station_officer)
    steps = [
        {"kind": "start", "on": "2025-04-01", "note": "动员会后启动"},
        {"kind": "apply", "on": "2025-06-01"},
        {
            "kind": "review_pass",
            "on": "2025-07-01",
            "grade": "micro",
            "score": "81.5",
            "proxy_for": "翔安区应急管理局",
        },
    ]
    for step in steps:
        web = client.post(reverse("cases:record", args=[web_e.pk]), step)
        assert web.status_code == 302
        answer = post(client, f"/api/v1/enterprises/{api_e.uscc}/case-events", step, secret)
        assert answer.status_code == 201, answer.content
    certificate = {
        "number": "闽AQB-2025-001",
        "issuer": "翔安区应急管理局",
        "proxy_for": "翔安区应急管理局",
    }
    web = client.post(
        reverse("cases:record", args=[web_e.pk]),
        {"kind": "certificate", "on": "2025-08-01", **certificate},
    )
    assert web.status_code == 302
    Certificate.objects.update(number="WEB-ISSUED")  # the number is unique: free it for the API
    answer = post(
        client,
        f"/api/v1/enterprises/{api_e.pk}/certificates",
        {"issued_on": "2025-08-01", **certificate},
        secret,
    )
    assert answer.status_code == 201 and answer.json()["grade"] == "micro"
    assert comparable_events(web_e) == comparable_events(api_e)
    assert comparable_audit(web_e) == comparable_audit(api_e)
    assert set(CaseEvent.objects.values_list("source", flat=True)) == {"manual", "api"}


def test_a_refused_write_carries_the_web_s_chinese_message_and_field(client, station_officer):
    enterprise = make_enterprise(MINAN)
    secret = secret_of(station_officer)
    client.force_login(station_officer)
    step = {"kind": "revoke", "on": "2025-06-01", "note": "重大事故"}
    web = client.post(reverse("cases:record", args=[enterprise.pk]), step)
    answer = post(client, f"/api/v1/enterprises/{enterprise.pk}/case-events", step, secret)
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "kind" and error["message"] in web.context["form"].errors["kind"]
    assert not CaseEvent.objects.exists()
    missing = post(client, f"/api/v1/enterprises/{enterprise.pk}/case-events", {}, secret)
    fields = {e["field"] for e in missing.json()["errors"]}
    assert missing.status_code == 422 and fields == {"kind", "on"}
    assert all("必须填写" in e["message"] for e in missing.json()["errors"])


def test_a_guidance_record_goes_through_the_agency_service(client, agency_user, minan_enterprise):
    secret = secret_of(agency_user)
    body = {"visited_on": DAY().isoformat(), "content": "指导风险分级管控", "staff": "王工"}
    answer = post(
        client, f"/api/v1/enterprises/{minan_enterprise.uscc}/guidance-records", body, secret
    )
    assert answer.status_code == 201, answer.content
    record = GuidanceRecord.objects.get()
    assert record.agency == agency_user.agency and record.recorded_by == agency_user
    assert ChangeLog.objects.filter(object_type="agencies.guidancerecord").count() == 1
    other = AgencyFactory()
    AgencyAssignment.objects.create(
        agency=other, enterprise=minan_enterprise, start_on="2025-01-01"
    )
    refused = post(
        client,
        f"/api/v1/enterprises/{minan_enterprise.pk}/guidance-records",
        body | {"agency_id": other.pk},
        secret,
    )
    assert (
        refused.status_code == 403
        and refused.json()["errors"][0]["message"] == "只能记录本机构的技术服务"
    )


@pytest.mark.parametrize(
    "path", ["/api/v1/enterprises", "/api/v1/cases", "/api/v1/certificates", "/api/v1/ledger"]
)
def test_lists_use_a_bounded_number_of_queries(
    client, station_officer, path, django_assert_max_num_queries
):
    for n in range(12):
        enterprise = make_enterprise(MINAN)
        if n % 3 == 0:
            certify(enterprise, date(2025, 8, 1))  # apply, pass, certificate
        else:
            record_steps(enterprise, ("start", date(2025, 5, 1)))
    secret = secret_of(station_officer)
    with django_assert_max_num_queries(14):
        body = client.get(path, {"limit": 500}, headers=bearer(secret)).json()
    assert len(body["items"]) >= 4


# --- supervision: hazards and inspections ---------------------------------------------------


def test_hazards_are_registered_and_rectified_through_the_supervision_services(
    client, station_officer, enterprise_user, minan_enterprise
):
    station, company = secret_of(station_officer), secret_of(enterprise_user)
    found = DAY() - timedelta(days=3)
    answer = post(
        client,
        f"/api/v1/enterprises/{minan_enterprise.uscc}/hazards",
        {"level": "major", "description": "液氨管道腐蚀", "found_on": found.isoformat()},
        station,
    )
    assert answer.status_code == 201, answer.content
    hazard = Hazard.objects.get()
    body = answer.json()
    assert body["id"] == hazard.pk and body["state"] == "registered" and body["listed"]
    assert body["missing_plan"] == ["责任", "措施", "资金", "预案"]
    assert [e["kind"] for e in body["events"]] == ["register"]
    assert ChangeLog.objects.filter(object_id=str(hazard.pk), note__contains="液氨").exists()

    url = f"/api/v1/hazards/{hazard.pk}/rectification"
    early = post(client, url, {"step": "request_review"}, company)
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "kind"
    assert "只有整改中的隐患才能申请复查" in early.json()["errors"][0]["message"]

    plan = {
        "responsible": "张三",
        "measures": "更换管道",
        "funds": 12000,
        "contingency": "泄漏预案",
    }
    started = post(client, url, plan | {"step": "start", "on": DAY().isoformat()}, company)
    assert started.status_code == 200, started.content
    hazard.refresh_from_db()
    assert hazard.state == "rectifying" and hazard.missing_plan() == []
    assert started.json()["funds"] == 12000.0
    assert [e["kind"] for e in started.json()["events"]] == ["register", "plan", "start"]

    # No evidence uploaded: the review is refused and the new measures are not kept either.
    events = HazardEvent.objects.count()
    refused = post(client, url, {"measures": "改为停用", "step": "request_review"}, company)
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "field": "file",
        "code": "invalid",
        "message": "申请复查须上传整改后的照片或材料",
    }
    hazard.refresh_from_db()
    assert hazard.measures == "更换管道" and HazardEvent.objects.count() == events

    empty = post(client, url, {}, company)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "step"
    # The enterprise rectifies but does not register hazards.
    assert (
        post(
            client,
            f"/api/v1/enterprises/{minan_enterprise.pk}/hazards",
            {"level": "general", "description": "x", "found_on": found.isoformat()},
            company,
        ).status_code
        == 403
    )


def test_hazards_and_inspections_sync_by_what_changed(client, station_officer, minan_enterprise):
    checklist = Checklist.objects.get(code="gm-general")
    inspection_start(
        actor=None,
        enterprise=minan_enterprise,
        checklist=checklist,
        inspected_on=date(2025, 9, 1),
        inspectors="甲",
    )
    first, second = (
        hazard_register(
            actor=None,
            enterprise=minan_enterprise,
            level="general",
            description=text,
            found_on=date(2025, 9, 1),
        )
        for text in ("灭火器过期", "电线私拉")
    )
    mark = timezone.now()
    secret = secret_of(station_officer)
    step = post(client, f"/api/v1/hazards/{second.pk}/rectification", {"step": "start"}, secret)
    assert step.status_code == 200, step.content
    since = {"updated_since": mark.isoformat()}
    changed = client.get("/api/v1/hazards", since, headers=bearer(secret)).json()["items"]
    assert [h["id"] for h in changed] == [second.pk]
    everything = client.get("/api/v1/hazards", {"limit": 1}, headers=bearer(secret)).json()
    assert [h["id"] for h in everything["items"]] == [first.pk] and everything["next_cursor"]
    inspections = client.get("/api/v1/inspections", headers=bearer(secret)).json()["items"]
    assert [(i["checklist_code"], i["status"]) for i in inspections] == [("gm-general", "draft")]
    assert client.get("/api/v1/inspections", since, headers=bearer(secret)).json()["items"] == []
    bad = client.get(
        "/api/v1/hazards", {"updated_since": "2025-06-30T08:00:00"}, headers=bearer(secret)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "updated_since"


def test_supervision_lists_use_a_bounded_number_of_queries(
    client, station_officer, django_assert_max_num_queries
):
    checklist = Checklist.objects.get(code="gm-general")
    for n in range(8):
        enterprise = make_enterprise(MINAN)
        inspection_start(
            actor=None,
            enterprise=enterprise,
            checklist=checklist,
            inspected_on=date(2025, 9, 1),
            inspectors="甲",
        )
        hazard = hazard_register(
            actor=None,
            enterprise=enterprise,
            level="general",
            description=f"隐患{n}",
            found_on=date(2025, 9, 1),
        )
        hazard_transition(actor=None, hazard=hazard, kind="start", on=date(2025, 9, 2))
    secret = secret_of(station_officer)
    for path in ("/api/v1/hazards", "/api/v1/inspections"):
        with django_assert_max_num_queries(10):
            body = client.get(path, {"limit": 500}, headers=bearer(secret)).json()
        assert len(body["items"]) == 8


def test_the_api_docs_page_loads_only_the_apps_own_assets(client, reference):
    """An intranet has no CDN: the Swagger UI page names only files the app serves itself, each
    installed from npm (node_modules) or ours."""
    import re

    from django.conf import settings
    from django.contrib.staticfiles import finders

    page = client.get("/api/v1/docs/").content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in url for url in urls)
    for url in urls:
        assert url.startswith("/"), url  # no other host
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url


def test_a_stations_own_guidance_is_recorded_alike_through_the_api_and_the_web(
    client, station_officer
):
    """A station records its own 服务指导 (no agency) at an enterprise in its scope, on the web or
    through the API: the same record and the same change log."""
    web_e, api_e = (make_enterprise(MINAN) for _ in range(2))
    visit = {
        "visited_on": "2025-09-10",
        "content": "指导建立安全生产责任制",
        "issues": "未明确岗位职责",
        "suggestions": "一周内补齐",
        "staff": "林站长",
    }
    client.force_login(station_officer)
    web = client.post(
        reverse("agencies:guidance_create"), {"enterprise": web_e.uscc, "agency": "", **visit}
    )
    assert web.status_code == 302
    answer = post(
        client,
        f"/api/v1/enterprises/{api_e.uscc}/guidance-records",
        visit,
        secret_of(station_officer),
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["agency_id"] is None

    fields = (
        "agency_id",
        "visited_on",
        "content",
        "issues",
        "suggestions",
        "staff",
        "recorded_by_id",
    )
    web_record, api_record = (
        GuidanceRecord.objects.filter(enterprise=e).values(*fields).get() for e in (web_e, api_e)
    )
    assert web_record == api_record
    assert comparable_audit(web_e) == comparable_audit(api_e)
