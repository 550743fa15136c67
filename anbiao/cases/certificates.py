"""Certificate status on a date — a pure function of the certificate's dates, its end and its
successor — and the date arithmetic of validity and the renewal window."""

import calendar
from datetime import date

from anbiao.cases import conf
from anbiao.cases.choices import CertificateStatus


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Feb 29 → Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def default_expiry(issued_on: date) -> date:
    """Last day of validity: the issue date plus the configured years, minus one day."""
    end = add_months(issued_on, 12 * conf.certificate_validity_years())
    return date.fromordinal(end.toordinal() - 1)


def renewal_window_start(expires_on: date) -> date:
    return add_months(expires_on, -conf.renewal_window_months())


def status_on(certificate, on: date, successor=None) -> str:
    """The status of `certificate` on date `on`.

    `successor` is the certificate that replaced it (looked up when not given). Order matters:
    an end (revocation/downgrade) and a renewal on or before `on` win over the dates.
    """
    if certificate.void:
        return CertificateStatus.VOID
    if on < certificate.issued_on:
        return CertificateStatus.NOT_YET
    if certificate.ended_on and certificate.ended_on <= on:
        if certificate.end_kind == "downgraded":
            return CertificateStatus.DOWNGRADED
        return CertificateStatus.REVOKED
    if successor is None:
        successor = getattr(certificate, "successor", None) if certificate.pk else None
    if successor is not None and not successor.void and successor.issued_on <= on:
        return CertificateStatus.RENEWED
    if on > certificate.expires_on:
        return CertificateStatus.EXPIRED
    if on >= renewal_window_start(certificate.expires_on):
        return CertificateStatus.EXPIRING
    return CertificateStatus.VALID


def is_current(status: str) -> bool:
    """Valid on that date (也包括即将到期)."""
    return status in (CertificateStatus.VALID, CertificateStatus.EXPIRING)


def annual_due_date(year: int) -> date:
    month, day = conf.annual_due()
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def annual_year_due(on: date) -> int:
    """The latest year whose annual self-evaluation due date has passed by `on`."""
    return on.year if annual_due_date(on.year) < on else on.year - 1
