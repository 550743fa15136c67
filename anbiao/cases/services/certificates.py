"""Writes of certificates beyond issuing one (which is a recorded step, see `record.py`)."""

from datetime import date, timedelta

from django.db import transaction

from anbiao.cases.choices import CaseState, EventKind
from anbiao.cases.models import Case
from anbiao.cases.selectors import progress_of
from anbiao.cases.services.record import last_certificate, record_step, today


@transaction.atomic
def expire_certificates(*, on: date | None = None) -> int:
    """Record 证书过期 for certified cases whose certificate ran out without a successor.
    Run daily (`anbiao expire-certificates`); returns the number of cases changed."""
    on = on or today()
    changed = 0
    cases = Case.objects.filter(state=CaseState.CERTIFIED).select_related("enterprise")
    for case in cases.select_for_update():
        held = last_certificate(case)
        if held is None or held.expires_on >= on or held.ended_on:
            continue
        last = progress_of(case).last_on
        day = max(held.expires_on + timedelta(days=1), last or held.expires_on)
        record_step(
            actor=None,
            case=case,
            kind=EventKind.EXPIRE,
            on=min(day, on),
            note=f"证书 {held.number} 于 {held.expires_on.isoformat()} 到期未换证",
            source="job",
        )
        changed += 1
    return changed
