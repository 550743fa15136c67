"""The district grades (定级部门) and the certificate line: renewals however recorded, downgrades
that keep the enterprise certified, revocations that reopen the case, 延期 and 公示."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from anbiao.cases import services
from anbiao.cases.certificates import status_on
from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.choices import CertificateStatus as S
from anbiao.cases.models import Certificate
from anbiao.cases.services import CertificateData
from anbiao.testing.factories import certify, record_steps


def step(actor, enterprise, kind, on, **kw):
    return services.case_record_event(actor=actor, enterprise=enterprise, kind=kind, on=on, **kw)


def passed(enterprise, on, grade="micro"):
    record_steps(enterprise, ("apply", on), ("review_pass", on, {"grade": grade}))


# --- Item 3: renewals however recorded ---------------------------------------------------


def test_a_lapsed_certificate_followed_by_a_first_time_certificate_is_its_late_renewal(
    minan_enterprise,
):
    e = minan_enterprise
    certify(e, date(2021, 3, 1), number="OLD-1")  # valid to 2024-02-29
    services.expire_certificates(on=date(2024, 6, 1))
    passed(e, date(2024, 9, 1))
    record_steps(e, ("certificate", date(2024, 10, 8), {"certificate": CertificateData("NEW-1")}))
    old, new = Certificate.objects.get(number="OLD-1"), Certificate.objects.get(number="NEW-1")
    assert new.replaces == old
    assert status_on(old, date(2024, 10, 7)) == S.EXPIRED
    assert status_on(old, date(2024, 10, 8)) == S.RENEWED


def test_a_renewal_before_expiry_and_a_certificate_after_revocation(minan_enterprise):
    e = minan_enterprise
    certify(e, date(2021, 3, 1), number="A")
    passed(e, date(2023, 12, 1))
    record_steps(e, ("renewal", date(2024, 1, 10), {"certificate": CertificateData("B")}))
    assert Certificate.objects.get(number="B").replaces.number == "A"
    record_steps(e, ("revoke", date(2024, 5, 1), {"note": "发生较大事故"}))
    assert services.current_case(e).state == CaseState.REVOKED
    # Revocation reopens the case: the enterprise creates again and is certified anew.
    record_steps(e, ("start", date(2024, 6, 1)), ("self_assessed", date(2024, 7, 1)))
    passed(e, date(2024, 9, 1))
    record_steps(e, ("certificate", date(2024, 10, 1), {"certificate": CertificateData("C")}))
    assert Certificate.objects.get(number="C").replaces is None  # a revoked one is not renewed
    assert Certificate.objects.get(number="B").end_kind == "revoked"


# --- Item 7: who decides -------------------------------------------------------------------


def test_the_grading_authority_decides_and_the_station_records_only_as_proxy(
    grading_officer, station_officer, minan_enterprise
):
    e = minan_enterprise
    step(station_officer, e, "apply", date(2025, 3, 1))
    with pytest.raises(ValidationError) as refused:
        step(station_officer, e, "review_pass", date(2025, 4, 1), grade="micro")
    assert "决定单位" in str(refused.value)
    event = step(grading_officer, e, "review_pass", date(2025, 4, 1), grade="micro")
    assert not event.is_proxy and event.actor == grading_officer
    event = step(
        station_officer,
        e,
        "certificate",
        date(2025, 4, 20),
        certificate=CertificateData("XA-7"),
        proxy_for="翔安区应急管理局",
    )
    assert event.proxy_for == "翔安区应急管理局"
    with pytest.raises(PermissionDenied):  # the grading authority does not run the case
        step(grading_officer, e, "annual", date(2025, 12, 1))


def test_a_grading_officer_of_another_district_is_refused(reference, minan_enterprise):
    from anbiao.accounts.choices import Role
    from anbiao.testing.factories import UserFactory, region

    other = UserFactory(username="dj2", role=Role.GRADING, region=region("350213002"))
    record_steps(minan_enterprise, ("apply", date(2025, 3, 1)))
    with pytest.raises(PermissionDenied):
        step(other, minan_enterprise, "review_pass", date(2025, 4, 1), grade="micro")


def test_a_downgrade_replaces_the_certificate_and_the_enterprise_stays_certified(
    grading_officer, minan_enterprise
):
    e = minan_enterprise
    certify(e, date(2024, 3, 1), number="L2", grade="level2")
    with pytest.raises(ValidationError) as refused:  # not lower
        step(
            grading_officer,
            e,
            "downgrade",
            date(2025, 2, 1),
            note="复核扣分",
            certificate=CertificateData("L1", grade="level1"),
        )
    assert "低于原等级" in str(refused.value)
    step(
        grading_officer,
        e,
        "downgrade",
        date(2025, 2, 1),
        note="复核扣分",
        certificate=CertificateData("L3", grade="level3"),
    )
    case = services.current_case(e)
    assert case.state == CaseState.CERTIFIED and not case.flagged
    old, new = Certificate.objects.get(number="L2"), Certificate.objects.get(number="L3")
    assert new.replaces == old and new.grade == "level3"
    assert new.expires_on == old.expires_on == date(2027, 2, 28)
    assert status_on(old, date(2025, 2, 1)) == S.DOWNGRADED
    assert status_on(new, date(2025, 2, 1)) == S.VALID


def test_an_extension_where_the_grade_rules_allow_it(grading_officer, minan_enterprise):
    e = minan_enterprise
    certify(e, date(2022, 6, 1), number="M-1", grade="micro")  # to 2025-05-31; 小微 may extend 3y
    step(grading_officer, e, "extend", date(2025, 5, 10))
    old = Certificate.objects.get(number="M-1", event__kind=EventKind.CERTIFICATE)
    new = Certificate.objects.get(event__kind=EventKind.EXTEND)
    assert (new.number, new.grade, new.expires_on) == ("M-1", "micro", date(2028, 5, 31))
    assert new.replaces == old
    assert status_on(old, date(2025, 5, 10)) == S.RENEWED


def test_an_extension_is_refused_for_a_grade_without_it(grading_officer, minan_enterprise):
    certify(minan_enterprise, date(2022, 6, 1), number="T-3", grade="level3")
    with pytest.raises(ValidationError) as refused:
        step(grading_officer, minan_enterprise, "extend", date(2025, 5, 10))
    assert "不允许“三级”证书延期" in str(refused.value)


def test_publicity_must_end_without_objection_before_the_certificate(
    grading_officer, minan_enterprise
):
    e = minan_enterprise
    record_steps(e, ("apply", date(2025, 3, 1)))
    step(grading_officer, e, "review_pass", date(2025, 4, 1), grade="micro")
    step(
        grading_officer,
        e,
        "publicity",
        date(2025, 4, 2),
        ends_on=date(2025, 4, 8),
        outcome="pending",
    )
    with pytest.raises(ValidationError) as early:
        step(grading_officer, e, "certificate", date(2025, 4, 8), certificate=CertificateData("P"))
    assert "公示期至 2025-04-08" in str(early.value)
    step(
        grading_officer,
        e,
        "publicity",
        date(2025, 4, 9),
        ends_on=date(2025, 4, 9),
        outcome="objection",
    )
    with pytest.raises(ValidationError) as objected:
        step(grading_officer, e, "certificate", date(2025, 4, 20), certificate=CertificateData("P"))
    assert "公示有异议" in str(objected.value)
    step(
        grading_officer,
        e,
        "publicity",
        date(2025, 4, 21),
        ends_on=date(2025, 4, 27),
        outcome="no_objection",
    )
    step(grading_officer, e, "certificate", date(2025, 4, 28), certificate=CertificateData("P"))
    assert services.current_case(e).state == CaseState.CERTIFIED


def test_the_grading_page_offers_only_decisions_and_shows_proxy_entries(
    login, grading_officer, station_officer, minan_enterprise
):
    e = minan_enterprise
    record_steps(e, ("apply", date(2025, 3, 1)))
    client = login(grading_officer)
    page = client.get(reverse("cases:detail", kwargs={"pk": e.pk})).content.decode()
    assert "decide-review_pass" in page and "next-step-" not in page
    form = client.get(reverse("cases:decide", kwargs={"pk": e.pk}))
    kinds = dict(form.context["form"].fields["kind"].choices)
    assert set(kinds) == {"review_pass", "review_fail"}
    assert client.get(reverse("cases:record", kwargs={"pk": e.pk})).status_code == 403
    step(station_officer, e, "review_fail", date(2025, 4, 1), note="扣分多", proxy_for="区应急局")
    page = client.get(reverse("cases:detail", kwargs={"pk": e.pk})).content.decode()
    assert "街道代录" in page and "决定单位:区应急局" in page
