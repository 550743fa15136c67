"""The campaign's counts for one enterprise at a time, read from its records in memory.

The campaign's numbers are SQL (counts.py; the ORM definitions in metrics.py). An import's check
must say which figures already filed confirming it would change, without writing
(anbiao/filings/changes.py): it knows, in memory, the records the import would add. So, for
the few enterprises an import touches, this module reads their records as they are
(`load_records`), adds the planned ones (`with_planned`), and tells what each enterprise adds
to every count on a date (`counted`) — the same definitions, one enterprise at a time. Tests
hold it equal to `metrics.in_scope` / `enterprises_behind` and the due certificates on a
history with every edge they have (campaigns/tests/test_membership.py).
"""

from dataclasses import dataclass, field, replace
from datetime import date

from anbiao.accounts.models import Region
from anbiao.campaigns import counts, metrics
from anbiao.campaigns.counts import PROGRESS_EVENTS
from anbiao.cases.models import CaseEvent, Certificate
from anbiao.core.imports.preview import PlannedChange
from anbiao.enterprises.choices import OperatingStatus
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.enterprises.spans import spans_of

# The counts an enterprise adds to (certificates for the renewal counts, else 0 or 1): those of
# counts.py but the on-time renewals, which no filing keeps.
COUNTED = tuple(k for k in counts.KEYS if k != "renewed_on_time")
CHUNK = 900  # ids per `IN (…)`
_PROGRESS = frozenset(PROGRESS_EVENTS)
KEY_PEOPLE = ("principal", "safety_manager")  # training.models.TraineeRole: who must be trained


@dataclass(frozen=True)
class Terms:
    """What a metric scope asks of every enterprise: the campaign's conditions on its date."""

    on: date
    baseline: date
    starts_on: date
    ends_on: date
    industries: frozenset
    sizes: frozenset
    exclude_torch_zone: bool
    area_ids: frozenset  # the regions asked about
    campaign_ids: frozenset  # the campaign's regions (who was 应创 before the baseline)

    @classmethod
    def of(cls, scope: metrics.Scope) -> "Terms":
        campaign = scope.campaign
        area = Region.objects.filter(path__startswith=scope.area.path)
        return cls(
            on=scope.on,
            baseline=campaign.baseline_on,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            industries=frozenset(campaign.industries),
            sizes=frozenset(str(s) for s in campaign.sizes),
            exclude_torch_zone=campaign.exclude_torch_zone,
            area_ids=frozenset(area.values_list("pk", flat=True)),
            campaign_ids=frozenset(metrics.campaign_region_ids(campaign)),
        )

    @property
    def training_period(self) -> tuple[date, date] | None:
        """The days whose trainings count (metrics.trained_ids), None when none yet."""
        end = min(self.on, self.ends_on)
        return None if end < self.starts_on else (self.starts_on, end)


@dataclass
class Records:
    """One enterprise's records as the metrics read them: its industry, its ledger facts
    (kind, value, effective_on) in date and entry order, its case steps that were not withdrawn
    (kind, on), its certificates (pk, issued_on, expires_on, ended_on, void), and the trainings
    its principal and safety manager attended (role, held_on)."""

    industry: str
    facts: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    certificates: list[tuple] = field(default_factory=list)
    attended: list[tuple] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple]:
        return spans_of(0, self.facts)


def load_records(ids: list[int]) -> dict[int, Records]:
    """The records of these enterprises, a few queries per 900 of them."""
    from anbiao.training.models import Attendance

    found: dict[int, Records] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for pk, industry in Enterprise.objects.filter(pk__in=chunk).values_list("pk", "industry"):
            found[pk] = Records(industry)
        rows = {
            "facts": EnterpriseFact.objects.filter(enterprise_id__in=chunk)
            .order_by("enterprise_id", "effective_on", "id")
            .values_list("enterprise_id", "kind", "value", "effective_on"),
            "events": CaseEvent.objects.filter(
                case__enterprise_id__in=chunk, reversed_by__isnull=True
            ).values_list("case__enterprise_id", "kind", "on"),
            "certificates": Certificate.objects.filter(case__enterprise_id__in=chunk).values_list(
                "case__enterprise_id", "pk", "issued_on", "expires_on", "ended_on", "void"
            ),
            "attended": Attendance.objects.filter(
                enterprise_id__in=chunk, role__in=KEY_PEOPLE
            ).values_list("enterprise_id", "role", "session__held_on"),
        }
        for name, found_rows in rows.items():
            for pk, *row in found_rows:
                getattr(found[pk], name).append(tuple(row))
    return found


def with_planned(records: Records | None, change: PlannedChange) -> Records:
    """The records once the planned change is written (records None: a new enterprise)."""
    records = records or Records(change.industry or "")
    return replace(
        records,
        industry=change.industry or records.industry,
        # Planned facts come after the stored ones of the same day, as their ids will.
        facts=sorted([*records.facts, *change.facts], key=lambda fact: fact[2]),
        events=[*records.events, *change.events],
        certificates=(
            records.certificates if change.certificates is None else list(change.certificates)
        ),
        attended=[*records.attended, *change.attended],
    )


def _meets(span: tuple, terms: Terms, region_ids: frozenset) -> bool:
    """The ledger conditions of the scope (ledger.in_scope, ledger.scope_span_q) on a span."""
    _, _, _, in_ledger, status, size, torch_zone, region_id, _, _ = span
    return (
        bool(in_ledger)
        and status == OperatingStatus.OPERATING
        and size in terms.sizes
        and (torch_zone is False or not terms.exclude_torch_zone)
        and region_id in region_ids
    )


def _span_on(spans: list[tuple], on: date) -> tuple | None:
    for span in spans:
        if span[1] <= on and (span[2] is None or span[2] > on):
            return span
    return None


def _before(a: date | None, b: date | None) -> bool:
    """a ≤ b, false when either is unknown (as SQL compares NULL)."""
    return a is not None and b is not None and a <= b


def _started(records: Records, terms: Terms, live: list[tuple]) -> bool:
    """metrics.started_q: a step by the date not left behind by a certificate that lapsed
    before the baseline with no renewal issued by its expiry."""
    cutoff = min(terms.baseline, terms.on)
    lapsed = [
        expires
        for _, issued, expires, _, _ in live
        if expires is not None
        and expires < cutoff
        and not any(
            other is not None and issued is not None and issued < other <= expires
            for _, other, _, _, _ in live
        )
    ]
    return any(
        kind in _PROGRESS and on <= terms.on and not any(expires >= on for expires in lapsed)
        for kind, on in records.events
    )


def _trained(records: Records, terms: Terms) -> bool:
    """training.selectors.trained_enterprise_ids: its principal and its safety manager both
    attended a training held in the campaign period up to the date."""
    period = terms.training_period
    if period is None:
        return False
    start, end = period
    return {role for role, held in records.attended if start <= held <= end} >= set(KEY_PEOPLE)


def counted(records: Records, terms: Terms) -> dict[str, int]:
    """What this enterprise adds to each count of COUNTED on the terms' date."""
    found = dict.fromkeys(COUNTED, 0)
    spans = records.spans
    span = _span_on(spans, terms.on)
    if (
        records.industry not in terms.industries
        or span is None
        or not _meets(span, terms, terms.area_ids)
    ):
        return found
    on = terms.on
    live = [c for c in records.certificates if not c[4]]
    eligible = span[8] == "1"
    started = _started(records, terms, live)
    certified = any(
        _before(issued, on) and _before(on, expires) and (ended is None or ended > on)
        for _, issued, expires, ended, _ in live
    )
    new = eligible and not any(
        then[8] == "1" and then[1] <= terms.baseline and _meets(then, terms, terms.campaign_ids)
        for then in spans
    )
    due = [
        issued
        for _, issued, expires, ended, _ in live
        if _before(terms.starts_on, expires)
        and _before(expires, on)
        and (ended is None or ended > expires)
    ]
    renewed = [
        issued
        for issued in due
        if any(
            _before(other, on) and issued is not None and other > issued for _, other, *_ in live
        )
    ]
    found.update(
        scope_total=1,
        scope_started=int(started),
        eligible_total=int(eligible),
        started=int(eligible and started),
        completed=int(eligible and certified),
        new_total=int(new),
        new_started=int(new and started),
        due_certificates=len(due),
        renewed=len(renewed),
        trained=int(eligible and _trained(records, terms)),
    )
    return found
