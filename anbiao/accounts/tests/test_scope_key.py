"""`scope_key` names a user's data scope for caches of scoped figures: two users may share cached
dashboard figures only when they see the same enterprises."""

import pytest

from anbiao.accounts.choices import Role
from anbiao.accounts.models import DepartmentIndustry
from anbiao.accounts.scope import enterprise_scope_q, scope_key
from anbiao.enterprises.choices import Industry
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import UserFactory, make_enterprise, region

MINAN = "350213007"


def department_user(username: str, department: str):
    return UserFactory(
        username=username, role=Role.DEPARTMENT, region=region(MINAN), department=department
    )


def visible(user) -> set[int]:
    return set(Enterprise.objects.filter(enterprise_scope_q(user)).values_list("pk", flat=True))


@pytest.mark.django_db
def test_users_share_a_scope_key_only_when_they_see_the_same_enterprises(
    reference, station_officer
):
    make_enterprise(MINAN, name="厦门机械甲有限公司", industry=Industry.MACHINERY)
    make_enterprise(MINAN, name="厦门轻工乙有限公司", industry=Industry.LIGHT_INDUSTRY)
    for department, industry in [
        ("工信局", Industry.MACHINERY),
        ("商务局", Industry.LIGHT_INDUSTRY),
        ("科技局", Industry.MACHINERY),
    ]:
        DepartmentIndustry.objects.create(
            region=region(MINAN), department=department, industry=industry, source="test"
        )
    machinery = department_user("gxj", "工信局")
    light = department_user("swj", "商务局")
    also_machinery = department_user("kjj", "科技局")

    users = [station_officer, machinery, light, also_machinery]
    for a in users:
        for b in users:
            same_key = scope_key(a) == scope_key(b)
            assert same_key == (visible(a) == visible(b)), (a.username, b.username)


@pytest.mark.django_db
def test_a_department_opens_the_region_owned_lists_of_its_region(reference, client):
    """Survey rounds, training sessions, visits and inspection plans belong to a region, not to
    an enterprise with an industry: a 行业部门 sees those of its region (they gave it a 500)."""
    from datetime import date

    from anbiao.surveys.models import SurveyRound
    from anbiao.testing.factories import make_session

    DepartmentIndustry.objects.create(
        region=region(MINAN), department="工信局", industry=Industry.MACHINERY, source="test"
    )
    user = department_user("gxj", "工信局")
    make_session(MINAN)
    SurveyRound.objects.create(
        name="民安摸排",
        region=region(MINAN),
        period_start=date(2025, 7, 1),
        period_end=date(2025, 8, 31),
    )
    client.force_login(user)
    for url in ("/surveys/", "/training/", "/benchmarks/visits/", "/supervision/plans/"):
        assert client.get(url).status_code == 200, url
    assert "民安摸排" in client.get("/surveys/").content.decode()
