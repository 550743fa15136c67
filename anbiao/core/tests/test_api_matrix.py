"""Role × scope matrix of the JSON API (/api/v1/), beside the page matrix in
test_scope_matrix.py: every operation of the OpenAPI document, with every persona calling
through a personal token, returns exactly what the persona's role and scope allow; read-only
tokens are refused on writes; expired and revoked tokens are refused everywhere; every call
made with a token is logged. An operation added without a row in API_ROUTES fails here.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from anbiao.agencies.models import GuidanceRecord
from anbiao.api.api import api
from anbiao.api.models import ApiTokenUse
from anbiao.api.services import token_create, token_revoke
from anbiao.cases.models import Assessment, CaseEvent, Certificate
from anbiao.cases.services import assessment_start
from anbiao.core.models import ChangeLog
from anbiao.core.tests.test_scope_matrix import (
    ALL,
    BOTH,
    EXPORTERS,
    SCOPE,
    STATIONS,
    USERS,
    assert_no_leak,
    service_agency,
    world,  # noqa: F401 - a fixture, used below
)
from anbiao.supervision.models import Checklist, Hazard, HazardEvent
from anbiao.supervision.services import hazard_register, inspection_start
from anbiao.testing.factories import (
    attend,
    certify,
    choose_benchmark,
    make_session,
    record_steps,
)

PREFIX = "/api/v1"
READERS = frozenset({"district_officer", "admin_user"}) | STATIONS  # benchmarks, training
SUPERVISION_READERS = EXPORTERS | {"enterprise_user"}  # inspections, hazards: its own
RECTIFIERS = STATIONS | {"enterprise_user"}  # hazard.rectify: the enterprise, or its station


@pytest.fixture
def w(request):
    """The page matrix's world: the seven personas and one enterprise in each 街道."""
    return request.getfixturevalue("world")


def today() -> str:
    return timezone.localdate().isoformat()


def seed(w):
    """Records of both enterprises, so a list that leaked would show the other's."""
    for n, t in enumerate(("minan", "xindian"), start=1):
        certify(w[t], date(2025, 8, 1), number=f"MATRIX-{t}")
        assessment_start(actor=None, enterprise=w[t], kind="annual")
        choose_benchmark(w[t], date(2025, 9, 1), reason=f"矩阵{n}")
        session = make_session(w[t].region.code, topic=f"{t}矩阵培训")
        attend(session, w[t])


def passed_review(w):
    for t in ("minan", "xindian"):
        record_steps(
            w[t], ("apply", date(2025, 5, 1)), ("review_pass", date(2025, 6, 1), {"grade": "micro"})
        )


def supervised(w):
    """An inspection and a hazard at both enterprises."""
    checklist = Checklist.objects.get(code="gm-general")
    for t in ("minan", "xindian"):
        inspection_start(
            actor=None,
            enterprise=w[t],
            checklist=checklist,
            inspected_on=date(2025, 9, 1),
            inspectors=f"{t}矩阵检查员",
        )
        hazard_register(
            actor=None,
            enterprise=w[t],
            level="general",
            description=f"{t}矩阵隐患:消防通道堵塞",
            found_on=date(2025, 9, 1),
        )


def guidance_body(w, persona, target):
    body = {"visited_on": today(), "content": "指导隐患排查台账"}
    if persona != "agency_user":
        body["agency_id"] = service_agency(w).pk
    return body


@dataclass(frozen=True)
class ApiRoute:
    who: frozenset
    obj: str | None = None  # what the path names: "enterprise", "assessment", "campaign", "hazard"
    body: object = None  # a write's JSON body, or body(world, persona, target)
    prepare: object = seed  # what to build before the calls
    ok: int = 200


API_ROUTES = {
    ("GET", "/regions"): ApiRoute(ALL),
    ("GET", "/enterprises"): ApiRoute(ALL),
    ("GET", "/enterprises/{ref}"): ApiRoute(ALL, obj="enterprise"),
    ("GET", "/ledger"): ApiRoute(ALL),
    ("GET", "/cases"): ApiRoute(ALL),
    ("GET", "/assessments"): ApiRoute(ALL),
    ("GET", "/assessments/{assessment_id}"): ApiRoute(ALL, obj="assessment"),
    ("GET", "/certificates"): ApiRoute(ALL),
    ("GET", "/benchmarks"): ApiRoute(READERS),
    ("GET", "/training/attendance"): ApiRoute(READERS),
    ("GET", "/campaigns"): ApiRoute(EXPORTERS),
    ("GET", "/campaigns/{slug}/metrics"): ApiRoute(EXPORTERS, obj="campaign"),
    ("GET", "/inspections"): ApiRoute(SUPERVISION_READERS, prepare=supervised),
    ("GET", "/hazards"): ApiRoute(SUPERVISION_READERS, prepare=supervised),
    ("POST", "/enterprises/{ref}/hazards"): ApiRoute(
        STATIONS,
        obj="enterprise",
        body=lambda w, p, t: {
            "level": "general",
            "description": f"{p}接口登记",
            "found_on": today(),
        },
        prepare=None,
        ok=201,
    ),
    # Each persona writes its own measures, so every allowed call changes the plan.
    ("POST", "/hazards/{hazard_id}/rectification"): ApiRoute(
        RECTIFIERS,
        obj="hazard",
        body=lambda w, p, t: {"measures": f"{p}:清理消防通道"},
        prepare=supervised,
    ),
    ("POST", "/enterprises/{ref}/case-events"): ApiRoute(
        STATIONS,
        obj="enterprise",
        body=lambda w, p, t: {"kind": "start", "on": today(), "note": "接口启动"},
        prepare=None,
        ok=201,
    ),
    ("POST", "/enterprises/{ref}/certificates"): ApiRoute(
        STATIONS,
        obj="enterprise",
        body=lambda w, p, t: {
            "number": f"API-{p}-{t}",
            "issued_on": today(),
            "proxy_for": "翔安区应急管理局",  # a station enters the district's decision
        },
        prepare=passed_review,
        ok=201,
    ),
    ("POST", "/enterprises/{ref}/guidance-records"): ApiRoute(
        STATIONS | {"agency_user"}, obj="enterprise", body=guidance_body, prepare=None, ok=201
    ),
}

# How to fill a path's parameters for each target. A target named after an enterprise is an
# object of that enterprise; by USCC for the minan one and by id for the xindian one, so both
# ways of naming an enterprise are covered.
OBJECTS = {
    None: {None: lambda w: {}},
    "enterprise": {
        "minan": lambda w: {"ref": w["minan"].uscc},
        "xindian": lambda w: {"ref": w["xindian"].pk},
    },
    "assessment": {
        t: lambda w, t=t: {"assessment_id": Assessment.objects.get(case__enterprise=w[t]).pk}
        for t in ("minan", "xindian")
    },
    "hazard": {
        t: lambda w, t=t: {"hazard_id": Hazard.objects.get(enterprise=w[t]).pk}
        for t in ("minan", "xindian")
    },
    # The shipped minan-2025 plan covers 民安 only: 新店's station officer cannot see it.
    "campaign": {"minan": lambda w: {"slug": "minan-2025"}},
}


def operations():
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method.upper(), path.removeprefix(PREFIX)


def url_of(key, w, target) -> str:
    return PREFIX + key[1].format(**OBJECTS[API_ROUTES[key].obj][target](w))


def token_of(w, persona, **kind) -> str:
    user = w[persona]
    _, secret = token_create(
        actor=user,
        user=user,
        name=f"矩阵{persona}",
        expires_on=timezone.localdate() + timedelta(days=30),
        read_only=kind.get("read_only", False),
    )
    return secret


def call(client, key, url, secret=None, body=None):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if key[0] == "GET":
        return client.get(url, headers=headers)
    return client.post(
        url, json.dumps(body or {}), content_type="application/json", headers=headers
    )


def writes() -> tuple:
    return (
        CaseEvent.objects.count(),
        Certificate.objects.count(),
        GuidanceRecord.objects.count(),
        Hazard.objects.count(),
        HazardEvent.objects.count(),
        ChangeLog.objects.count(),  # last: revoking a token writes the change log
    )


def expected(route, persona, target) -> int:
    if persona == "anonymous":
        return 401
    if persona not in route.who:
        return 403
    if target in BOTH and target not in SCOPE[persona]:
        return 404
    return route.ok


def test_every_api_operation_is_classified_in_the_matrix():
    found = set(operations())
    assert found, "the OpenAPI document lists no operations"
    unclassified = sorted(found - set(API_ROUTES))
    assert not unclassified, f"classify these API operations in API_ROUTES: {unclassified}"
    assert not set(API_ROUTES) - found, "API_ROUTES names operations that no longer exist"


@pytest.mark.parametrize("key", list(API_ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_persona_uses_each_api_operation_only_within_scope(client, w, key):
    route = API_ROUTES[key]
    if route.prepare:
        route.prepare(w)
    secrets = {p: token_of(w, p) for p in USERS}
    for target in OBJECTS[route.obj]:
        for persona in ("anonymous", *USERS):
            url = url_of(key, w, target)
            body = route.body(w, persona, target) if callable(route.body) else route.body
            before, uses = writes(), ApiTokenUse.objects.count()
            response = call(client, key, url, secrets.get(persona), body)
            want = expected(route, persona, target)
            where = (persona, target, response.content[:300])
            assert response.status_code == want, where
            assert_no_leak(response.content.decode(), w, persona)
            if want >= 400:
                errors = response.json()["errors"]
                assert errors and all(e["message"] for e in errors), where
            if key[0] == "POST":
                assert (writes() != before) == (want == route.ok), where
            assert ApiTokenUse.objects.count() == uses + (persona != "anonymous"), where


@pytest.mark.parametrize("key", list(API_ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_read_only_expired_and_revoked_tokens(client, w, key):
    route = API_ROUTES[key]
    if route.prepare:
        route.prepare(w)
    persona = "station_officer"
    target = next(t for t in OBJECTS[route.obj] if t in (None, "minan"))
    url = url_of(key, w, target)
    body = route.body(w, persona, target) if callable(route.body) else route.body

    read_only = token_of(w, persona, read_only=True)
    before = writes()
    response = call(client, key, url, read_only, body)
    if key[0] == "POST":
        assert response.status_code == 403, response.content
        assert response.json()["errors"][0]["code"] == "read_only_token"
        assert writes() == before
    else:
        assert response.status_code == expected(route, persona, target)

    expired = token_of(w, persona)
    w[persona].api_tokens.filter(name=f"矩阵{persona}").update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    response = call(client, key, url, expired, body)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "token_expired"

    revoked = token_of(w, persona)
    token = w[persona].api_tokens.get(
        revoked_at__isnull=True, read_only=False, expires_on__gte=timezone.localdate()
    )
    token_revoke(actor=w[persona], token=token)
    response = call(client, key, url, revoked, body)
    assert response.status_code == 401 and response.json()["errors"][0]["code"] == "token_revoked"
    assert writes()[:-1] == before[:-1], "a refused token wrote something"


def test_the_browser_session_may_read_but_not_write(client, w):
    client.force_login(w["station_officer"])
    assert client.get(f"{PREFIX}/enterprises").status_code == 200
    before = writes()
    response = client.post(
        f"{PREFIX}/enterprises/{w['minan'].pk}/case-events",
        json.dumps({"kind": "start", "on": today()}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert writes() == before
