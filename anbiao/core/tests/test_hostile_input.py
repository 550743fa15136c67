"""No 500 from input: every GET route with hostile query parameters and every form with hostile
values, as every persona allowed to use it. It walks the URLs the role × scope matrix
classifies (test_scope_matrix.py), so a new URL is crawled as soon as it is classified there."""

import re

import pytest
from django.test import Client

from anbiao.core.tests.test_scope_matrix import (  # noqa: F401  (world is a fixture)
    BOTH,
    OBJECTS,
    ROUTES,
    SCOPE,
    USERS,
    url_of,
    url_patterns,
    world,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Names every list, dashboard and form of the app reads, plus whatever the page's own forms name.
KNOWN_PARAMS = (
    "as_of on page q ordering region agency enterprise item assessment deducted employees "
    "revenue industry size status state stage kind show metric role year start end month "
    "period_start period_end effective_on deadline threshold score note reason cycle"
).split()
HOSTILE = (
    "9999-12-31",
    "0001-01-01",
    "99999999999999999999",
    "nan",
    "inf",
    "1e400",
    "abc",
)
NAME_RE = re.compile(r'name="([A-Za-z_][\w-]*)"')


def field_names(response) -> set[str]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    text = response.content.decode("utf-8", errors="replace")
    return set(NAME_RE.findall(text)) - {"csrfmiddlewaretoken"}


def targets(route):
    """Parsing does not depend on whose record it is: one target per route (民安's when the
    route names an enterprise's record), every role that may use it."""
    options = list(OBJECTS[route.obj])
    return ["minan"] if "minan" in options else options[:1]


def personas_for(route, w, target):
    """One persona of each role the route serves on this target (others are refused before
    any parsing, which the scope matrix checks)."""
    chosen = {}
    for p in USERS:
        if p in route.who and (target not in BOTH or target in SCOPE[p]):
            chosen.setdefault(w[p].role, p)
    return list(chosen.values())


def crawl(client, method, url, names, base=None) -> list[str]:
    failures = []
    for value in HOSTILE:
        data = dict(base or {})
        for name in names:
            if not hasattr(data.get(name), "read"):  # keep uploaded files
                data[name] = value
        try:
            response = getattr(client, method)(url, data)
        except Exception as exc:  # the test client re-raises what became a 500
            failures.append(f"{method.upper()} {url} {value[:20]!r}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url} {value[:20]!r}: {response.status_code}")
    return failures


def routes(write: bool):
    for name, _ in url_patterns():
        route = ROUTES.get(name)
        if route is None or (write and route.post is None and route.get != 405):
            continue
        if not write and route.get == 405:
            continue
        yield name


@pytest.mark.parametrize("name", sorted(set(routes(write=False))))
def test_hostile_query_parameters_never_give_a_server_error(world, name):  # noqa: F811
    route = ROUTES[name]
    failures = []
    for target in targets(route):
        for persona in personas_for(route, world, target):
            client = Client()
            client.force_login(world[persona])
            url = url_of(name, world, target)
            names = set(KNOWN_PARAMS) | field_names(client.get(url))
            failures += crawl(client, "get", url, sorted(names))
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("name", sorted(set(routes(write=True))))
def test_hostile_form_values_never_give_a_server_error(world, name):  # noqa: F811
    route = ROUTES[name]
    failures = []
    for target in targets(route):
        for persona in personas_for(route, world, target):
            client = Client()
            client.force_login(world[persona])
            url = url_of(name, world, target)
            names = set(KNOWN_PARAMS) if route.get == 405 else field_names(client.get(url))
            post = route.post
            payload = post(world, persona, target) if callable(post) else (post or {})
            names |= set(payload)
            failures += crawl(client, "post", url, sorted(names), payload)
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("value", ["\x00", "%00", "x" * 5000])
def test_nul_characters_and_huge_values_are_refused_or_ignored(login, station_officer, value):
    client = login(station_officer)
    response = client.get("/enterprises/", {"q": value, "page": value, "ordering": value})
    assert response.status_code in (200, 400)
    if "\x00" in value:  # "%00" typed as text is harmless text
        assert response.status_code == 400
        assert "非法字符" in response.content.decode()
    response = client.post("/enterprises/new/", {"name": value, "uscc": value})
    assert response.status_code in (200, 400)
