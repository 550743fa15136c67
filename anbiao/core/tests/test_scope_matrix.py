"""Role × scope matrix (DESIGN §2, §7): nobody reads or changes data outside their scope.

Every URL pattern is walked from the resolver; each must be classified in ROUTES (who may use
it, which object its <pk> names, how to POST to it). A new URL fails here until classified.
"""

import io
from dataclasses import dataclass
from datetime import date

import openpyxl
import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from anbiao.accounts.choices import Role
from anbiao.accounts.models import User
from anbiao.agencies.models import AgencyAssignment
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.testing.factories import PASSWORD, UserFactory, make_uscc, region

MINAN, XINDIAN = "350213007", "350213002"
USERS = (
    "district_officer",
    "station_officer",
    "other_station_officer",
    "enterprise_user",
    "agency_user",
    "outsider",
    "admin_user",
)
PERSONAS = ("anonymous", *USERS)
BOTH = frozenset({"minan", "xindian"})
SCOPE = {  # which of the two enterprises each persona may see
    "anonymous": frozenset(),
    "district_officer": BOTH,
    "station_officer": frozenset({"minan"}),
    "other_station_officer": frozenset({"xindian"}),
    "enterprise_user": frozenset({"minan"}),
    "agency_user": frozenset({"minan"}),
    "outsider": frozenset(),
    "admin_user": BOTH,  # no region: the whole registry, read-only
}
ALL = frozenset(USERS)
STATIONS = frozenset({"station_officer", "other_station_officer"})
ADMIN = frozenset({"admin_user"})


def today() -> str:
    return timezone.localdate().isoformat()


def enterprise_form(w, persona, target) -> dict:
    e = w[target]
    return {
        "name": f"{e.name}(更名)",
        "uscc": e.uscc,
        "region": e.region_id,
        "address": "翔安区矩阵路1号",
        "industry": e.industry,
        "employees": 41,
        "size": "small",
        "eligible": "True",
        "principal_name": "李四",
        "principal_phone": "13900000000",
        "safety_manager_name": "王五",
        "safety_manager_phone": "13700000000",
        "effective_on": today(),
    }


def new_enterprise(w, persona, target) -> dict:
    code = XINDIAN if persona == "other_station_officer" else MINAN
    data = enterprise_form(w, persona, "minan")
    data.update(name="厦门矩阵新建有限公司", uscc=make_uscc(), region=region(code).pk)
    return data | {"ledger_since": today()}


def new_user(w, persona, target) -> dict:
    return {
        "username": "newbie",
        "full_name": "新用户",
        "role": Role.STATION,
        "region": region(MINAN).pk,
        "is_active": "on",
        "password": "Matrix#2025pass",
    }


def edit_user(w, persona, target) -> dict:
    victim = w[target]
    return {
        "username": victim.username,
        "full_name": "改过的名字",
        "role": victim.role,
        "region": victim.region_id,
        "is_active": "on",
    }


@dataclass(frozen=True)
class Route:
    who: frozenset  # personas whose role grants this page
    obj: str | None = None  # what <pk> names: "enterprise" or "user"
    post: object = None  # payload(world, persona, target) for a write view
    get: int = 200  # what a GET returns to a persona in `who` (and in scope)
    public: bool = False  # reachable without logging in


ROUTES = {
    "home": Route(ALL),
    "accounts:login": Route(ALL, get=302, public=True),  # logged-in users go home
    "accounts:logout": Route(ALL, get=405, post=lambda w, p, t: {}),
    "accounts:password_change": Route(
        ALL,
        post=lambda w, p, t: {
            "old_password": PASSWORD,
            "new_password1": "Changed#2025pw",
            "new_password2": "Changed#2025pw",
        },
    ),
    "accounts:user_list": Route(ADMIN),
    "accounts:user_create": Route(ADMIN, post=new_user),
    "accounts:user_edit": Route(ADMIN, obj="user", post=edit_user),
    "accounts:user_reset_password": Route(
        ADMIN, obj="user", post=lambda w, p, t: {"password": "Reset#2025Matrix"}
    ),
    "accounts:login_log": Route(ADMIN),
    "enterprises:list": Route(ALL),
    "enterprises:export": Route(frozenset({"district_officer", "admin_user"}) | STATIONS),
    "enterprises:create": Route(STATIONS, post=new_enterprise),
    "enterprises:size_hint": Route(ALL),
    "enterprises:detail": Route(ALL, obj="enterprise"),
    "enterprises:edit": Route(
        STATIONS | {"enterprise_user"}, obj="enterprise", post=enterprise_form
    ),
    "enterprises:status": Route(
        STATIONS,
        obj="enterprise",
        post=lambda w, p, t: {"status": "suspended", "on": today(), "reason": "设备检修"},
    ),
}
TARGETS = {None: (None,), "enterprise": ("minan", "xindian"), "user": ("victim",)}


def url_patterns(patterns=None, namespace=""):
    """(name, pattern) for every URL, recursing through included resolvers."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from url_patterns(p.url_patterns, ns)
        else:
            yield (f"{namespace}{p.name}" if p.name else f"<unnamed {p.pattern}>"), p


def cases(write: bool = False):
    for name, _ in url_patterns():
        route = ROUTES.get(name)
        if route is None:  # unclassified: one failing case names it
            yield pytest.param(name, "anonymous", None, id=name)
            continue
        if write and route.post is None:
            continue
        for target in TARGETS[route.obj]:
            for persona in PERSONAS:
                yield pytest.param(name, persona, target, id=f"{name}-{persona}-{target}")


@pytest.fixture
def world(request, minan_enterprise, xindian_enterprise):
    w = {p: request.getfixturevalue(p) for p in USERS}
    w["victim"] = UserFactory(username="victim", role=Role.STATION, region=region(XINDIAN))
    return w | {"minan": minan_enterprise, "xindian": xindian_enterprise}


def as_persona(client, w, persona):
    if persona != "anonymous":
        client.force_login(w[persona])
    return client


def url_of(name, w, target) -> str:
    return reverse(name, kwargs={"pk": w[target].pk}) if target else reverse(name)


def expected(route, persona, target):
    """"login", "public", 403, 404 (out of scope: 403 also accepted) or "ok"."""
    if persona == "anonymous":
        return "public" if route.public else "login"
    if persona not in route.who:
        return 403
    if route.obj == "enterprise" and target not in SCOPE[persona]:
        return 404
    return "ok"


def text_of(response) -> str:
    """The whole response as text; an xlsx export as the text of all its cells."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
        return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v)
    return body.decode("utf-8", errors="replace")


def assert_no_leak(text, w, persona, echoed=()):
    """No name or USCC of an enterprise outside the persona's scope, beyond what they typed."""
    for typed in echoed:
        text = text.replace(escape(typed), "").replace(typed, "")
    for key in BOTH - SCOPE[persona]:
        assert w[key].name not in text, f"{persona} sees the name of {key}"
        assert w[key].uscc not in text, f"{persona} sees the USCC of {key}"


def assert_outcome(response, want, get_status=200):
    if want == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    elif want == "public":
        assert response.status_code == 200
    elif want == 404:
        assert response.status_code in (403, 404)
    elif want == 403:
        assert response.status_code == 403
    else:
        assert response.status_code == get_status, response.content[:500]


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Enterprise, EnterpriseFact, ChangeLog, User, AgencyAssignment)
    }


def test_every_url_pattern_is_classified_in_the_matrix():
    found = dict(url_patterns())
    unclassified = sorted(set(found) - set(ROUTES))
    assert not unclassified, f"classify these URLs in ROUTES: {unclassified}"
    assert not set(ROUTES) - set(found), "ROUTES names URLs that no longer exist"
    for name, pattern in found.items():
        kwargs = set(pattern.pattern.converters)
        assert kwargs == ({"pk"} if ROUTES[name].obj else set()), f"{name} takes {kwargs}"


@pytest.mark.parametrize(("name", "persona", "target"), list(cases()))
def test_each_persona_reads_each_url_only_within_scope(client, world, name, persona, target):
    assert name in ROUTES, f"{name} is not classified in ROUTES"
    route = ROUTES[name]
    response = as_persona(client, world, persona).get(url_of(name, world, target))
    assert_outcome(response, expected(route, persona, target), route.get)
    assert_no_leak(text_of(response), world, persona)


@pytest.mark.parametrize(("name", "persona", "target"), list(cases(write=True)))
def test_each_persona_changes_data_only_within_scope(client, world, name, persona, target):
    route = ROUTES[name]
    client = as_persona(client, world, persona)
    before = snapshot()
    response = client.post(url_of(name, world, target), route.post(world, persona, target))
    want = expected(route, persona, target)
    assert_outcome(response, want, 302)
    assert_no_leak(text_of(response), world, persona)
    if want != "ok":
        assert snapshot() == before, "a refused write changed the database"
    elif name != "accounts:logout":
        assert response["Location"] != response.wsgi_request.path  # not a re-rendered form
        assert snapshot() != before, "an accepted write changed nothing"


def searches(w):
    """(params, enterprises they match; None = no lower bound, only the scope cap)."""
    mi, xd = w["minan"], w["xindian"]
    return [
        ({}, BOTH),
        ({"q": xd.name}, {"xindian"}),
        ({"q": "新店食品"}, {"xindian"}),
        ({"q": xd.uscc}, {"xindian"}),
        ({"q": xd.uscc.lower()}, {"xindian"}),
        ({"q": xd.uscc[-8:]}, {"xindian"}),
        ({"q": "xmxdsp"}, {"xindian"}),  # pinyin initials of 厦门新店食品
        ({"q": "xindianshipin"}, {"xindian"}),
        ({"q": mi.name}, {"minan"}),
        ({"q": mi.uscc}, {"minan"}),
        ({"q": "xmhxjx"}, {"minan"}),
        ({"q": "有限公司"}, BOTH),
        ({"region": xd.region_id}, None),  # another 街道's region is not a valid choice
        ({"region": region(XINDIAN[:6]).pk}, None),
        ({"ordering": "-uscc", "page": "1"}, BOTH),
    ]


def rows_of_export(response) -> tuple[set, set]:
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r and r[1]]
    return {r[1] for r in rows}, {r[2] for r in rows}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("view", ["page", "htmx", "export"])
def test_list_search_and_export_contain_exactly_the_enterprises_in_scope(
    client, world, persona, view
):
    """station_officer never sees 新店's enterprise — by name, USCC or pinyin — and vice versa."""
    client = as_persona(client, world, persona)
    url_name = "enterprises:export" if view == "export" else "enterprises:list"
    url = reverse(url_name)
    headers = {"HX-Request": "true"} if view == "htmx" else {}
    names = {world[k].name: k for k in BOTH}
    for params, matches in searches(world):
        response = client.get(url, params, headers=headers)
        want = expected(ROUTES[url_name], persona, None)
        if want != "ok":
            assert_outcome(response, want)
            assert_no_leak(text_of(response), world, persona)
            continue
        assert response.status_code == 200, (params, response.status_code)
        if view == "export":
            row_names, row_usccs = rows_of_export(response)
            shown = {names[n] for n in row_names}
            assert row_usccs == {world[k].uscc for k in shown}
        else:
            shown = {names[e.name] for e in response.context["page"].object_list}
            assert_no_leak(response.content.decode(), world, persona, params.values())
        assert shown <= SCOPE[persona], (params, shown)
        if matches is not None:
            assert shown == SCOPE[persona] & matches, (params, shown)


@pytest.mark.parametrize("persona", USERS)
def test_dashboard_counts_only_the_enterprises_in_scope(client, world, persona):
    response = as_persona(client, world, persona).get(reverse("home"))
    summary = response.context["summary"]
    assert summary["total"] == len(SCOPE[persona])
    assert_no_leak(response.content.decode(), world, persona)


def test_history_is_shown_in_scope_and_hidden_from_another_subdistrict(client, world):
    minan = world["minan"]
    as_persona(client, world, "station_officer").post(
        reverse("enterprises:edit", kwargs={"pk": minan.pk}),
        enterprise_form(world, "station_officer", "minan") | {"address": "民安历史路9号"},
    )
    assert ChangeLog.objects.filter(enterprise=minan).count() == 2
    minan_url = reverse("enterprises:detail", kwargs={"pk": minan.pk})
    for persona in ("district_officer", "station_officer", "enterprise_user", "agency_user"):
        page = as_persona(client, world, persona).get(minan_url)
        assert page.status_code == 200 and "民安历史路9号" in page.content.decode()
        assert len(page.context["history"]) == 2
    for persona in ("other_station_officer", "outsider"):
        page = as_persona(client, world, persona).get(minan_url)
        assert page.status_code == 404
        text = page.content.decode()
        assert "民安历史路9号" not in text and minan.name not in text and minan.uscc not in text


def test_station_officer_cannot_move_or_register_an_enterprise_into_another_subdistrict(
    client, world
):
    client = as_persona(client, world, "station_officer")
    before = snapshot()
    moved = enterprise_form(world, "station_officer", "minan") | {"region": region(XINDIAN).pk}
    response = client.post(reverse("enterprises:edit", kwargs={"pk": world["minan"].pk}), moved)
    assert response.status_code == 200  # form error, not saved
    created = new_enterprise(world, "other_station_officer", None)  # region 新店
    assert client.post(reverse("enterprises:create"), created).status_code == 200
    clash = new_enterprise(world, "station_officer", None) | {"uscc": world["xindian"].uscc}
    response = client.post(reverse("enterprises:create"), clash)
    assert response.status_code == 200
    assert_no_leak(response.content.decode(), world, "station_officer", [world["xindian"].uscc])
    assert snapshot() == before


def test_enterprise_user_edits_only_profile_fields_of_their_own_enterprise(client, world):
    minan = world["minan"]
    name, region_id = minan.name, minan.region_id
    payload = enterprise_form(world, "enterprise_user", "minan") | {
        "name": "厦门冒名顶替有限公司",
        "region": region(XINDIAN).pk,
        "size": "large",
        "eligible": "False",
    }
    response = as_persona(client, world, "enterprise_user").post(
        reverse("enterprises:edit", kwargs={"pk": minan.pk}), payload
    )
    assert response.status_code == 302
    minan.refresh_from_db()
    assert (minan.name, minan.region_id, minan.size, minan.eligible) == (
        name,
        region_id,
        "small",
        True,
    )
    assert (minan.address, minan.employees) == ("翔安区矩阵路1号", 41)


def test_a_closed_agency_assignment_ends_the_agencys_scope(client, world):
    AgencyAssignment.objects.filter(agency=world["agency_user"].agency).update(
        end_on=date(2025, 1, 31)
    )
    client = as_persona(client, world, "agency_user")
    assert client.get(f"/enterprises/{world['minan'].pk}/").status_code == 404
    assert not client.get(reverse("enterprises:list")).context["page"].object_list
