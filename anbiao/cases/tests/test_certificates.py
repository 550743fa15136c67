from datetime import date

import pytest

from anbiao.cases import services
from anbiao.cases.certificates import default_expiry, status_on
from anbiao.cases.choices import CaseState
from anbiao.cases.choices import CertificateStatus as S
from anbiao.cases.models import Certificate
from anbiao.cases.services import expire_certificates
from anbiao.testing.factories import certify, make_enterprise, record_steps


def cert(**kw):
    values = {"issued_on": date(2025, 6, 1), "expires_on": date(2028, 5, 31)}
    return Certificate(**(values | kw))


@pytest.mark.parametrize(
    ("on", "status"),
    [
        (date(2025, 5, 31), S.NOT_YET),
        (date(2025, 6, 1), S.VALID),
        (date(2028, 2, 28), S.VALID),  # the day before the 3-month window opens
        (date(2028, 2, 29), S.EXPIRING),  # 2028-05-31 minus 3 months (leap year)
        (date(2028, 5, 31), S.EXPIRING),  # last day of validity
        (date(2028, 6, 1), S.EXPIRED),
    ],
)
def test_status_around_the_renewal_window_and_expiry(on, status):
    assert status_on(cert(), on, successor=None) == status


def test_the_renewal_window_is_configuration(settings):
    settings.ANBIAO_RENEWAL_WINDOW_MONTHS = 6
    assert status_on(cert(), date(2027, 11, 29), successor=None) == S.VALID
    assert status_on(cert(), date(2027, 11, 30), successor=None) == S.EXPIRING


def test_default_validity_is_three_years_and_configurable(settings):
    assert default_expiry(date(2025, 6, 1)) == date(2028, 5, 31)
    assert default_expiry(date(2024, 2, 29)) == date(2027, 2, 27)
    settings.ANBIAO_CERTIFICATE_VALIDITY_YEARS = 5
    assert default_expiry(date(2025, 6, 1)) == date(2030, 5, 31)


def test_a_renewed_certificate_is_renewed_from_the_successors_issue_date():
    successor = cert(issued_on=date(2028, 4, 1), expires_on=date(2031, 3, 31))
    assert status_on(cert(), date(2028, 3, 31), successor=successor) == S.EXPIRING
    assert status_on(cert(), date(2028, 4, 1), successor=successor) == S.RENEWED
    assert status_on(cert(), date(2028, 4, 1), successor=cert(void=True)) == S.EXPIRING


def test_revoked_and_downgraded_from_their_date():
    revoked = cert(ended_on=date(2026, 1, 10), end_kind="revoked")
    assert status_on(revoked, date(2026, 1, 9), successor=None) == S.VALID
    assert status_on(revoked, date(2026, 1, 10), successor=None) == S.REVOKED
    down = cert(ended_on=date(2026, 1, 10), end_kind="downgraded")
    assert status_on(down, date(2026, 2, 1), successor=None) == S.DOWNGRADED


@pytest.mark.django_db
def test_the_expiry_job_moves_only_unrenewed_certified_cases(reference):
    lapsed, renewed = make_enterprise(), make_enterprise()
    certify(lapsed, date(2022, 6, 1))
    certify(renewed, date(2022, 6, 1))
    record_steps(
        renewed,
        ("apply", date(2025, 3, 1)),
        ("review_pass", date(2025, 4, 1), {"grade": "micro"}),
        ("renewal", date(2025, 5, 1), {"certificate": services.CertificateData(number="R-1")}),
    )
    assert expire_certificates(on=date(2025, 6, 15)) == 1
    assert expire_certificates(on=date(2025, 6, 16)) == 0  # idempotent
    case = services.current_case(lapsed)
    assert case.state == CaseState.EXPIRED and case.state_since == date(2025, 6, 1)
    assert services.current_case(renewed).state == CaseState.CERTIFIED
