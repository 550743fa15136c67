from datetime import date

import pytest
from django.core.exceptions import ValidationError

from anbiao.accounts.choices import Role
from anbiao.cases import services
from anbiao.cases.choices import AssessmentKind
from anbiao.cases.independence import consulted, reviewer_conflicts
from anbiao.cases.models import Assessment, CaseEvent
from anbiao.testing.factories import AgencyFactory, UserFactory, assign_agency, record_steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(minan_enterprise):
    record_steps(minan_enterprise, ("apply", date(2025, 5, 1)))
    return minan_enterprise


def assign(enterprise, **team):
    return services.review_assign(actor=None, enterprise=enterprise, on=date(2025, 5, 10), **team)


def test_an_agency_that_consulted_may_not_review(applied, agency_user):
    agency = agency_user.agency
    assert consulted(agency, applied)
    with pytest.raises(ValidationError, match="提供过技术服务"):
        assign(applied, agency=agency)
    assert not Assessment.objects.exists()
    assert list(CaseEvent.objects.values_list("kind", flat=True)) == ["apply"]


def test_a_past_consultation_still_counts(applied):
    agency = AgencyFactory()
    assignment = assign_agency(agency, applied)
    assignment.end_on = date(2025, 2, 1)
    assignment.save()
    with pytest.raises(ValidationError):
        assign(applied, agency=agency)


def test_an_independent_agency_and_expert_may_review(applied, reviewer_agency, expert_user):
    review = assign(applied, agency=reviewer_agency, experts=[expert_user])
    assert review.kind == AssessmentKind.REVIEW
    assert services.current_case(applied).state == "under_review"


def test_an_expert_linked_to_the_enterprise_may_not_review(applied, agency_user):
    colleague = UserFactory(role=Role.EXPERT, agency=agency_user.agency)
    insider = UserFactory(role=Role.EXPERT, enterprise=applied)
    assert (
        len(reviewer_conflicts(agency=None, experts=[colleague, insider], enterprise=applied)) == 2
    )
    with pytest.raises(ValidationError, match="不能担任其评审专家"):
        assign(applied, experts=[colleague])


def test_a_non_expert_cannot_be_named_an_expert(applied, station_officer):
    with pytest.raises(ValidationError, match="不是专家账号"):
        assign(applied, experts=[station_officer])


def test_the_assign_page_refuses_a_consulting_agency(login, station_officer, applied, agency_user):
    from django.urls import reverse

    response = login(station_officer).post(
        reverse("cases:assign_review", kwargs={"pk": applied.pk}),
        {"on": "2025-05-10", "agency": agency_user.agency.pk},
    )
    assert response.status_code == 200
    assert "提供过技术服务" in response.content.decode()
    assert not Assessment.objects.exists()
