"""Personas shared by every app's tests (docs/architecture.md, "Tests"): a district officer,
the district's grading authority (定级部门), the 民安 station officer, a station officer of
another 街道 (新店), an enterprise user, an agency user, an outsider with no scope, and a system
administrator."""

import pytest

from anbiao.accounts.choices import Role
from anbiao.core.reference_data import load_reference_data
from anbiao.testing.factories import (
    AgencyFactory,
    UserFactory,
    assign_agency,
    make_enterprise,
    region,
)

MINAN = "350213007"
XINDIAN = "350213002"
DISTRICT = "350213"


@pytest.fixture
def reference(db):
    """Regions and dictionaries: loaded by migrate when the test database is created, and again
    after a transactional test's flush; loaded here only if missing."""
    from anbiao.accounts.models import Region

    if not Region.objects.filter(code=DISTRICT).exists():
        load_reference_data()


@pytest.fixture
def minan_enterprise(reference):
    return make_enterprise(MINAN, name="厦门恒兴机械有限公司")


@pytest.fixture
def xindian_enterprise(reference):
    return make_enterprise(XINDIAN, name="厦门新店食品有限公司")


@pytest.fixture
def district_officer(reference):
    return UserFactory(username="district", role=Role.DISTRICT, region=region(DISTRICT))


@pytest.fixture
def grading_officer(reference):
    """The district's grading authority (定级部门): decides grades in the whole 翔安区."""
    return UserFactory(username="dingji", role=Role.GRADING, region=region(DISTRICT))


@pytest.fixture
def station_officer(reference):
    return UserFactory(username="minan", role=Role.STATION, region=region(MINAN))


@pytest.fixture
def other_station_officer(reference):
    return UserFactory(username="xindian", role=Role.STATION, region=region(XINDIAN))


@pytest.fixture
def enterprise_user(minan_enterprise):
    return UserFactory(username="qiye", role=Role.ENTERPRISE, enterprise=minan_enterprise)


@pytest.fixture
def agency_user(reference, minan_enterprise):
    agency = AgencyFactory()
    assign_agency(agency, minan_enterprise)
    return UserFactory(username="jigou", role=Role.AGENCY, agency=agency)


@pytest.fixture
def outsider(reference):
    return UserFactory(username="outsider", role=Role.EXPERT)


@pytest.fixture
def admin_user(reference):
    return UserFactory(username="admin", role=Role.ADMIN, region=None)


@pytest.fixture
def login(client):
    """login(user) → a test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing strength is not what these tests check; MD5 keeps persona logins quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def expert_user(reference):
    """A review expert (专家) with no reviews yet."""
    return UserFactory(username="zhuanjia", role=Role.EXPERT, full_name="专家 曾国庆")


@pytest.fixture
def reviewer_agency(reference):
    """An agency that never consulted for any enterprise: free to review."""
    return AgencyFactory(name="厦门正衡安全评价有限公司")


@pytest.fixture(autouse=True)
def empty_cache():
    """Memoized metrics are keyed by database ids, which a rolled-back test may reuse."""
    from django.core.cache import cache

    from anbiao.campaigns import day_tables

    cache.clear()
    day_tables.noted_here.clear()
    yield
    cache.clear()


@pytest.fixture(params=["grouped", "sorted"])
def sort_below(request, monkeypatch):
    """Runs a list test both ways a long list is paged (anbiao/core/pagination.py): region by
    region through the index, and sorted (few rows)."""
    from anbiao.core import pagination

    monkeypatch.setattr(pagination, "SORT_BELOW", 0 if request.param == "grouped" else 10**9)
    return request.param


@pytest.fixture
def transactions_opened(monkeypatch):
    """Call it to record from then on the transactions (and savepoints) opened, in the list it
    returns: a check that must not take SQLite's write lock opens none."""
    from django.db import transaction

    def start() -> list:
        opened = []
        enter = transaction.Atomic.__enter__

        def counted(self):
            opened.append(self)
            return enter(self)

        monkeypatch.setattr(transaction.Atomic, "__enter__", counted)
        return opened

    return start
