"""Why a filed figure and today's figure for the same date differ (docs/filings.md).

A filing keeps the enterprise ids behind each key number. Today's view of the same date is
computed again; the enterprises that entered or left a list are exactly those whose records
changed, and the records entered after the filing (ledger facts, case steps and corrections,
industry changes) say how. Records are grouped by what entered them: an import (导入第 N 号) or
one person's entries on one day.

Before an import, its check warns when confirming it would change figures already filed
(`FiledFigures`): from what the check knows it would write, in memory, without writing or
opening a transaction.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from anbiao.campaigns import membership, metrics
from anbiao.cases.models import CaseEvent
from anbiao.core.imports.preview import PlannedChange
from anbiao.core.models import ChangeLog, ImportJob
from anbiao.enterprises.choices import FactSource
from anbiao.enterprises.models import Enterprise, EnterpriseFact
from anbiao.filings.models import Filing
from anbiao.filings.snapshot import KEY_LISTS, KEY_METRICS, figures, scope_of

LIST_LABELS = {key: metrics.METRICS[key].label for key in KEY_LISTS}


@dataclass
class Difference:
    """One figure: as filed and as known today, for the filing's date."""

    key: str
    label: str
    filed: object
    now: object

    @property
    def filed_text(self) -> str:
        return metrics.display(self.filed, self.key)

    @property
    def now_text(self) -> str:
        return metrics.display(self.now, self.key)

    @property
    def changed(self) -> bool:
        return self.filed != self.now

    @property
    def delta_text(self) -> str:
        """How it changed: +16 (a count), +2.3个百分点 (a rate), or 已变化 when one is 不适用."""
        if self.filed is None or self.now is None:
            return "已变化"
        delta = self.now - self.filed
        if metrics.is_rate(self.key):
            return f"{delta * 100:+.1f}个百分点"
        return f"{delta:+g}"


@dataclass
class Record:
    """A record entered after the filing about an enterprise whose figures changed."""

    enterprise: Enterprise
    what: str
    effective_on: object
    recorded_at: datetime
    recorded_by: str


@dataclass
class Group:
    """Records entered together (one import, or one person's entries on one day)."""

    key: tuple
    label: str
    records: list[Record] = field(default_factory=list)
    moves: dict = field(default_factory=dict)  # list key → (+entered, −left) by its enterprises

    @property
    def enterprise_count(self) -> int:
        return len({r.enterprise.pk for r in self.records})

    @property
    def summary(self) -> str:
        parts = []
        for key, (entered, left) in self.moves.items():
            if entered:
                parts.append(f"{LIST_LABELS[key]} +{entered}")
            if left:
                parts.append(f"{LIST_LABELS[key]} −{left}")
        return ",".join(parts)


@dataclass
class Comparison:
    filing: Filing
    differences: list[Difference]
    moves: dict[str, dict[str, set[int]]]  # list key → {"entered": ids, "left": ids}
    groups: list[Group]
    unexplained: list[Enterprise]

    @property
    def changed(self) -> list[Difference]:
        return [d for d in self.differences if d.changed]


def _moves(filed: dict, now: dict) -> dict[str, dict[str, set[int]]]:
    found = {}
    for key in KEY_LISTS:
        before, after = set(filed.get(key, [])), set(now.get(key, []))
        if before != after:
            found[key] = {"entered": after - before, "left": before - after}
    return found


def _import_jobs(since: datetime) -> list[ImportJob]:
    return list(
        ImportJob.objects.filter(
            status=ImportJob.Status.DONE, finished_at__gt=since, started_at__isnull=False
        ).select_related("created_by")
    )


def _group_key(jobs: list[ImportJob], at: datetime, who, imported: bool):
    if imported:
        # Records carry no import number: the import that ran when they were entered, by the
        # same person, entered them.
        for job in jobs:
            same_person = who is None or job.created_by_id == who.pk
            if same_person and job.started_at <= at <= job.finished_at:
                return ("import", job.pk), job
    return ("manual", getattr(who, "pk", None), timezone.localdate(at)), None


def records_after(filing: Filing, ids: set[int]) -> list[tuple[tuple, str, Record]]:
    """The records about these enterprises entered after the filing that bear on its date."""
    since, on = filing.filed_at, filing.as_of
    jobs = _import_jobs(since)
    enterprises = Enterprise.objects.in_bulk(ids)
    found = []

    def who(user) -> str:
        return (user.full_name or user.username) if user else "系统"

    def label_of(key, job, user, at) -> str:
        if job is not None:
            return (
                f"导入第 {job.pk} 号({job.get_kind_display()}“{job.original_name}”,"
                f"{who(job.created_by)},{timezone.localtime(job.finished_at):%Y-%m-%d %H:%M})"
            )
        return f"{who(user)} {timezone.localdate(at):%Y-%m-%d} 录入"

    facts = (
        EnterpriseFact.objects.filter(
            enterprise__in=ids, recorded_at__gt=since, effective_on__lte=on
        )
        .select_related("recorded_by")
        .order_by("recorded_at", "id")
    )
    for fact in facts:
        key, job = _group_key(
            jobs, fact.recorded_at, fact.recorded_by, fact.source != FactSource.MANUAL
        )
        what = f"{fact.get_kind_display()}:{fact.display_value}(自 {fact.effective_on})"
        record = Record(
            enterprises[fact.enterprise_id],
            what,
            fact.effective_on,
            fact.recorded_at,
            who(fact.recorded_by),
        )
        found.append((key, label_of(key, job, fact.recorded_by, fact.recorded_at), record))
    events = (
        CaseEvent.objects.filter(case__enterprise__in=ids, recorded_at__gt=since)
        .filter(Q(on__lte=on) | Q(reverses__on__lte=on))
        .select_related("actor", "case", "reverses")
        .order_by("recorded_at", "id")
    )
    for event in events:
        key, job = _group_key(jobs, event.recorded_at, event.actor, event.source == "import")
        what = f"创建进度:{event.get_kind_display()}({event.on})"
        if event.reverses_id:
            what = f"撤回“{event.reverses.get_kind_display()}”({event.reverses.on})"
        record = Record(
            enterprises[event.case.enterprise_id],
            what,
            event.on,
            event.recorded_at,
            who(event.actor),
        )
        found.append((key, label_of(key, job, event.actor, event.recorded_at), record))
    for entry in ChangeLog.objects.filter(
        object_type="enterprises.enterprise",
        object_id__in=[str(pk) for pk in ids],
        at__gt=since,
    ).select_related("actor"):
        for change in entry.changes or []:
            if change.get("field") == "industry":
                key, job = _group_key(jobs, entry.at, entry.actor, False)
                record = Record(
                    enterprises[int(entry.object_id)],
                    f"行业:{change.get('old')} → {change.get('new')}",
                    None,
                    entry.at,
                    who(entry.actor),
                )
                found.append((key, label_of(key, job, entry.actor, entry.at), record))
    return found


def compare(filing: Filing, now: dict | None = None) -> Comparison:
    """The filing against today's view of its date, with the records that explain each change."""
    now = now or figures(filing.campaign, filing.region, filing.as_of, with_targets=False)
    differences = [
        Difference(key, metrics.label(key), filing.values.get(key), now["values"].get(key))
        for key in KEY_METRICS
    ]
    moves = _moves(filing.enterprise_ids, now["enterprise_ids"])
    ids = set().union(*(m["entered"] | m["left"] for m in moves.values())) if moves else set()
    groups: dict[tuple, Group] = {}
    explained: set[int] = set()
    for key, label, record in records_after(filing, ids):
        group = groups.setdefault(key, Group(key, label))
        group.records.append(record)
        explained.add(record.enterprise.pk)
    for group in groups.values():
        members = {r.enterprise.pk for r in group.records}
        for list_key, move in moves.items():
            entered, left = len(move["entered"] & members), len(move["left"] & members)
            if entered or left:
                group.moves[list_key] = (entered, left)
    unexplained = list(Enterprise.objects.filter(pk__in=ids - explained).order_by("name"))
    ordered = sorted(groups.values(), key=lambda g: g.records[0].recorded_at)
    return Comparison(filing, differences, moves, ordered, unexplained)


# --- the import preview's warning -------------------------------------------------------------

PREVIEW_FILINGS = 6  # the latest standing filings an import preview looks at, at most


def preview_filings(job: ImportJob) -> list[Filing]:
    """The standing filings an import's check warns about: those of the uploader's region (above
    or below it), the latest PREVIEW_FILINGS by date."""
    from anbiao.filings.selectors import standing_filings

    filings = standing_filings(Filing.objects.all())
    if job.region_id is not None:
        path = job.region.path
        filings = [
            f for f in filings if f.region.path.startswith(path) or path.startswith(f.region.path)
        ]
    return sorted(filings, key=lambda f: f.as_of, reverse=True)[:PREVIEW_FILINGS]


def filed_values(filing: Filing) -> dict:
    """Today's key figures of the filing's 镇街 and date."""
    return metrics.compute(scope_of(filing.campaign, filing.region, filing.as_of), set(KEY_METRICS))


def preview_notice(filing: Filing, before: dict, after: dict) -> str | None:
    """The preview's line for a filing whose figures would go from `before` to `after`."""
    changed = [
        f"{metrics.label(k)} {metrics.display(before.get(k), k)} → "
        f"{metrics.display(after.get(k), k)}"
        for k in KEY_METRICS
        if before.get(k) != after.get(k)
    ]
    if not changed:
        return None
    when = "" if not filing.period else f"截至{filing.as_of:%Y-%m-%d},"
    return (
        f"{filing.region.name}{filing.period_label}({when}"
        f"{filing.get_status_display()}):{';'.join(changed)}。确认后,报送页将显示报送值"
        "与当前值的差异及其原因"
    )


class FiledFigures:
    """While an import is checked: what confirming it would do to the figures of the standing
    filings, from what the check says it would write (core/imports/preview.py) — nothing is
    written. Each enterprise the import touches is counted on each filing's date from its
    records as they are and as they would be (campaigns/membership.py); only when some count
    moves are the filing's figures of today computed, and the moves added to them."""

    def __init__(self, filings: list[Filing]):
        self.filings = filings
        self.terms = {
            f.pk: membership.Terms.of(scope_of(f.campaign, f.region, f.as_of)) for f in filings
        }
        self.moved: dict[int, Counter] = {f.pk: Counter() for f in filings}

    def observe(self, changes: list[PlannedChange]) -> None:
        ids = [c.enterprise_id for c in changes if c.enterprise_id is not None]
        stored = membership.load_records(ids)
        pairs = [
            (stored.get(c.enterprise_id), membership.with_planned(stored.get(c.enterprise_id), c))
            for c in changes
        ]
        for filing in self.filings:
            terms, moved = self.terms[filing.pk], self.moved[filing.pk]
            for before, after in pairs:
                moved.update(membership.counted(after, terms))
                if before is not None:
                    moved.subtract(membership.counted(before, terms))

    def notices(self) -> list[str]:
        notices = []
        for filing in self.filings:
            moved = {k: n for k, n in self.moved[filing.pk].items() if n}
            if not moved:
                continue
            before = filed_values(filing)
            after = {k: v + moved.get(k, 0) if k in moved else v for k, v in before.items()}
            for key in KEY_METRICS:
                metric = metrics.METRICS[key]
                if metric.is_rate:
                    after[key] = metrics.rate(after[metric.numerator], after[metric.denominator])
            if notice := preview_notice(filing, before, after):
                notices.append(notice)
        return notices


def filed_figures_check(job: ImportJob) -> FiledFigures | None:
    """The import check's observer of filed figures (None: no standing filing to warn about)."""
    filings = preview_filings(job)
    return FiledFigures(filings) if filings else None
