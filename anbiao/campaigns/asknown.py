"""Metrics "as of D, as known at T" (bitemporal, docs/filings.md).

Every record the metrics read carries when it was entered: ledger facts (`recorded_at`), case
events (`recorded_at`) and through them certificates, their ends and voids (a certificate is
issued, ended and voided by events), benchmark events, attendances, and the change log for the
enterprise columns the metrics read (`industry`). `known_at(T)` rewinds the database to what was
known at T inside a transaction that is always rolled back, so the ordinary metric functions —
one definition for the dashboard, the reports and this — answer as they would have at T:

- facts recorded after T are removed and the ledger spans of their enterprises rebuilt;
- events recorded after T are moved beyond any date the metrics may ask (D is never after
  today), and the certificates they issued with them; a correction entered after T no longer
  reverses its target, so the certificate it voided or the end it cleared is restored;
- benchmarks chosen and events and attendances recorded after T are set aside likewise;
- an enterprise's industry changed after T is set back to its value before.

This is the slow, exact path used to verify a filed snapshot; nothing it does is ever kept.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TypeVar

from django.db import transaction

from anbiao.benchmarks.choices import EventKind as BenchmarkEventKind
from anbiao.benchmarks.models import Benchmark, BenchmarkEvent
from anbiao.cases.choices import EventKind
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.core.models import ChangeLog
from anbiao.enterprises.choices import Industry
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.enterprises.spans import rebuild_spans
from anbiao.training.models import Attendance

# Beyond any date a metric is asked about (D is never after today).
NEVER = date(9999, 12, 31)
END_KINDS = {EventKind.REVOKE: "revoked", EventKind.DOWNGRADE: "downgraded"}

T = TypeVar("T")


class _Discard(Exception):
    """Raised to roll the rewound state back."""


def _rewind_facts(at: datetime) -> None:
    late = EnterpriseFact.objects.filter(recorded_at__gt=at)
    ids = set(late.values_list("enterprise_id", flat=True))
    if ids:
        late.delete()
        rebuild_spans(ids)


def _rewind_industries(at: datetime) -> None:
    labels = {label: value for value, label in Industry.choices}
    entries = ChangeLog.objects.filter(object_type="enterprises.enterprise", at__gt=at).order_by(
        "-at", "-id"
    )  # newest first: the oldest change's "old" wins
    restore: dict[int, str] = {}
    for entry in entries:
        for change in entry.changes or []:
            if change.get("field") == "industry" and change.get("old") in labels:
                restore[int(entry.object_id)] = labels[change["old"]]
    for pk, industry in restore.items():
        Enterprise.objects.filter(pk=pk).update(industry=industry)


def _rewind_cases(at: datetime) -> None:
    late = CaseEvent.objects.filter(recorded_at__gt=at)
    # A correction entered after T: at T its target still stood.
    for correction in late.filter(reverses__isnull=False).select_related("reverses"):
        target = correction.reverses
        if target.recorded_at > at:
            continue
        Certificate.objects.filter(event=target).update(void=False)
        if target.kind in END_KINDS:
            held = (
                Certificate.objects.filter(
                    case=target.case_id,
                    void=False,
                    ended_on__isnull=True,
                    issued_on__lte=target.on,
                    expires_on__gte=target.on,
                )
                .order_by("-issued_on", "-id")
                .first()
            )
            if held is not None:
                Certificate.objects.filter(pk=held.pk).update(
                    ended_on=target.on, end_kind=END_KINDS[target.kind], end_event=target
                )
    late.filter(reverses__isnull=False).update(reverses=None)
    # Ends entered after T had not happened; certificates issued after T did not exist yet.
    Certificate.objects.filter(end_event__in=late).update(ended_on=None, end_kind="")
    Certificate.objects.filter(event__in=late).update(issued_on=NEVER, expires_on=NEVER)
    late.update(on=NEVER)


def _rewind_programmes(at: datetime) -> None:
    Benchmark.objects.filter(created_at__gt=at).update(chosen_on=NEVER)
    BenchmarkEvent.objects.filter(recorded_at__gt=at).update(on=NEVER)
    for benchmark in Benchmark.objects.filter(
        events__kind=BenchmarkEventKind.WITHDRAW, events__on=NEVER
    ).distinct():
        earlier = (
            benchmark.events.filter(kind=BenchmarkEventKind.WITHDRAW, recorded_at__lte=at)
            .order_by("-on")
            .values_list("on", flat=True)
            .first()
        )
        Benchmark.objects.filter(pk=benchmark.pk).update(withdrawn_on=earlier)
    Attendance.objects.filter(recorded_at__gt=at).delete()


@contextmanager
def known_at(at: datetime) -> Iterator[None]:
    """Inside the block, the database holds only what had been entered by `at`; everything is
    rolled back afterwards, whatever happens inside."""
    try:
        with transaction.atomic():
            _rewind_facts(at)
            _rewind_industries(at)
            _rewind_cases(at)
            _rewind_programmes(at)
            yield
            raise _Discard
    except _Discard:
        pass


def as_known_at(at: datetime, compute: Callable[[], T]) -> T:
    """`compute()` answered with what had been entered by `at`."""
    result: list = []
    with known_at(at):
        result.append(compute())
    return result[0]
