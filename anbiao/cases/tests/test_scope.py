"""Enterprise users and agencies see and change only their own cases and files."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from anbiao.cases import services
from anbiao.cases.models import Assessment, EvidenceFile
from anbiao.testing.factories import record_steps

pytestmark = pytest.mark.django_db


def test_an_enterprise_user_sees_only_their_own_case(
    login, enterprise_user, minan_enterprise, xindian_enterprise
):
    record_steps(xindian_enterprise, ("start", date(2025, 3, 1)))
    client = login(enterprise_user)
    board = client.get(reverse("cases:board"))
    assert [e.pk for e in board.context["page"]] == [minan_enterprise.pk]
    assert xindian_enterprise.name not in board.content.decode()
    other = reverse("cases:detail", kwargs={"pk": xindian_enterprise.pk})
    assert client.get(other).status_code == 404
    start = reverse("cases:self_assessment", kwargs={"pk": xindian_enterprise.pk})
    assert client.post(start, {"kind": "self"}).status_code == 404
    assert not Assessment.objects.exists()


def test_an_enterprise_user_cannot_record_steps_or_score_a_review(
    login, enterprise_user, minan_enterprise, reviewer_agency
):
    client = login(enterprise_user)
    url = reverse("cases:record", kwargs={"pk": minan_enterprise.pk})
    assert client.post(url, {"kind": "start", "on": "2025-03-01"}).status_code == 403
    record_steps(minan_enterprise, ("apply", date(2025, 5, 1)))
    review = services.review_assign(
        actor=None, enterprise=minan_enterprise, on=date(2025, 5, 2), agency=reviewer_agency
    )
    item = review.standard.items.first()
    saved = client.post(
        reverse("cases:assessment_item", kwargs={"pk": review.pk}),
        {"item": item.pk, "deducted": "2"},
    )
    assert saved.status_code == 403
    assert not review.scores.exists()
    page = client.get(reverse("cases:assessment", kwargs={"pk": review.pk}))
    assert page.status_code == 200 and not page.context["editable"]


def test_an_agency_self_assesses_its_assigned_enterprise_only(
    login, agency_user, minan_enterprise, xindian_enterprise
):
    client = login(agency_user)
    own = reverse("cases:self_assessment", kwargs={"pk": minan_enterprise.pk})
    assert client.post(own, {"kind": "self"}).status_code == 302
    other = reverse("cases:self_assessment", kwargs={"pk": xindian_enterprise.pk})
    assert client.post(other, {"kind": "self"}).status_code == 404
    assert Assessment.objects.get().case.enterprise == minan_enterprise
    with pytest.raises(PermissionDenied):
        services.evidence_add(
            actor=agency_user,
            enterprise=xindian_enterprise,
            upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"),
        )
    assert not EvidenceFile.objects.exists()


def test_a_reviewer_sees_the_enterprise_of_their_review_and_scores_only_it(
    login, reviewer_agency, expert_user, xindian_enterprise, minan_enterprise
):
    from anbiao.accounts.choices import Role
    from anbiao.testing.factories import UserFactory

    reviewer = UserFactory(role=Role.AGENCY, agency=reviewer_agency)
    client = login(expert_user)
    assert (
        client.get(reverse("cases:detail", kwargs={"pk": xindian_enterprise.pk})).status_code == 404
    )
    record_steps(xindian_enterprise, ("apply", date(2025, 5, 1)))
    review = services.review_assign(
        actor=None,
        enterprise=xindian_enterprise,
        on=date(2025, 5, 2),
        agency=reviewer_agency,
        experts=[expert_user],
    )
    assert (
        client.get(reverse("cases:detail", kwargs={"pk": xindian_enterprise.pk})).status_code == 200
    )
    assert (
        client.get(reverse("cases:detail", kwargs={"pk": minan_enterprise.pk})).status_code == 404
    )
    board = client.get(reverse("cases:board"))
    assert [r.pk for r in board.context["reviews"]] == [review.pk]
    item = review.standard.items.first()
    url = reverse("cases:assessment_item", kwargs={"pk": review.pk})
    for user in (expert_user, reviewer):
        assert login(user).post(url, {"item": item.pk, "deducted": "1"}).status_code == 200
    assert review.scores.get().deducted == 1
    # A self-evaluation of the reviewed enterprise is not the reviewer's to fill.
    start = reverse("cases:self_assessment", kwargs={"pk": xindian_enterprise.pk})
    assert login(reviewer).post(start, {"kind": "self"}).status_code == 403
