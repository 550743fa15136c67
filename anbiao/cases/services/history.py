"""Many cases at once, for the progress import: read the histories of a few hundred enterprises
in a few queries, and write the steps `steps.CaseHistory` planned for them with multi-row
INSERTs (PostgreSQL: COPY). The rules are the ones `record_step` applies to a single step
(`anbiao/cases/steps.py`); what is written — events, certificates, the case's stored state,
one change-log entry per step — is what recording the same steps one by one writes. See
docs/cases.md, "Progress import"."""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial

from django.db import connection, models
from django.db.models import Count, Max
from django.utils import timezone

from anbiao.accounts.access import actor_or_none
from anbiao.cases.choices import AssessmentKind, AssessmentStatus, CaseState, EventKind
from anbiao.cases.models import Assessment, Case, CaseEvent, Certificate, Rectification
from anbiao.cases.steps import CaseHistory, PlannedStep
from anbiao.core import audit
from anbiao.core.bulk import unsaved
from anbiao.core.lookups import among
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise

CASE_COLUMNS = (
    "enterprise",
    "cycle",
    "state",
    "state_since",
    "started_on",
    "flagged",
    "flag_reason",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "case",
    "kind",
    "on",
    "actor",
    "note",
    "state_after",
    "assessment",
    "grade",
    "score",
    "source",
    "proxy_for",
    "ends_on",
    "outcome",
    "recorded_at",
)
CERTIFICATE_COLUMNS = (
    "case",
    "event",
    "number",
    "grade",
    "issuer",
    "issued_on",
    "expires_on",
    "replaces",
    "ended_on",
    "end_kind",
    "end_reason",
    "end_event",
    "void",
)
CASE_FIELDS = ("state", "state_since", "flagged")  # what the change log compares, as sync_case
STORED = ("state", "state_since", "started_on", "flagged", "flag_reason", "updated_at")
Fingerprint = tuple


class HistoryChanged(RuntimeError):
    """The cases of a batch changed between the check and the write (someone recorded a step
    meanwhile): the batch is not written; the batches before it are, and importing the file
    again completes it (the import is idempotent)."""


def load_histories(enterprises: Sequence[Enterprise]) -> dict[int, CaseHistory]:
    """Enterprise id → the history of its current case (a new, unsaved 未开展 case when it has
    none), in four queries whatever the number (at most ~900 enterprises: SQLite's limit on
    query parameters)."""
    ids = [e.pk for e in enterprises]
    by_pk = {e.pk: e for e in enterprises}
    current: dict[int, Case] = {}
    case_enterprise: dict[int, int] = {}
    cases = Case.objects.filter(among("enterprise_id", ids)).order_by("enterprise_id", "-cycle")
    for case in cases:
        case_enterprise[case.pk] = case.enterprise_id
        if case.enterprise_id not in current:
            case.enterprise = by_pk[case.enterprise_id]
            current[case.enterprise_id] = case
    case_ids = [c.pk for c in current.values()]
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in CaseEvent.objects.filter(among("case_id", case_ids)).order_by("id"):
        events[event.case_id].append(event)
    certificates: dict[int, list[Certificate]] = defaultdict(list)
    for certificate in Certificate.objects.filter(among("case__enterprise_id", ids)).order_by("id"):
        certificates[case_enterprise[certificate.case_id]].append(certificate)
    reviews: dict[int, Assessment] = {}
    submitted = Assessment.objects.filter(
        among("case_id", case_ids), kind=AssessmentKind.REVIEW, status=AssessmentStatus.SUBMITTED
    ).order_by("-submitted_on", "-id")
    for assessment in submitted:
        reviews.setdefault(assessment.case_id, assessment)
    histories = {}
    for enterprise in enterprises:
        case = current.get(enterprise.pk) or unsaved(Case, enterprise=enterprise, cycle=1)
        history = CaseHistory(
            case,
            events.get(case.pk, ()),
            certificates.get(enterprise.pk, ()),
            review=reviews.get(case.pk),
        )
        history.fingerprint = _fingerprint(
            case.pk, events.get(case.pk, ()), certificates.get(enterprise.pk, ())
        )
        histories[enterprise.pk] = history
    return histories


def _fingerprint(case_id, events: Iterable, certificates: Iterable) -> Fingerprint:
    events, certificates = list(events), list(certificates)
    return (
        case_id,
        len(events),
        max((e.pk for e in events), default=None),
        len(certificates),
        max((c.pk for c in certificates), default=None),
    )


def _current_fingerprints(enterprise_ids: list[int]) -> dict[int, Fingerprint]:
    """The same fingerprints, read again with the cases locked (PostgreSQL: a service call on
    one of them waits for the batch; SQLite: the batch already holds the write lock)."""
    current: dict[int, int] = {}
    cases = Case.objects.select_for_update().filter(among("enterprise_id", enterprise_ids))
    for enterprise_id, case_id in cases.order_by("enterprise_id", "-cycle").values_list(
        "enterprise_id", "id"
    ):
        current.setdefault(enterprise_id, case_id)
    events = {
        row["case_id"]: (row["n"], row["last"])
        for row in CaseEvent.objects.filter(among("case_id", current.values()))
        .values("case_id")
        .annotate(n=Count("id"), last=Max("id"))
    }
    certificates = {
        row["case__enterprise_id"]: (row["n"], row["last"])
        for row in Certificate.objects.filter(among("case__enterprise_id", enterprise_ids))
        .values("case__enterprise_id")
        .annotate(n=Count("id"), last=Max("id"))
    }
    prints = {}
    for enterprise_id in enterprise_ids:
        case_id = current.get(enterprise_id)
        prints[enterprise_id] = (
            case_id,
            *events.get(case_id, (0, None)),
            *certificates.get(enterprise_id, (0, None)),
        )
    return prints


def write_planned(planned: Sequence[tuple[CaseHistory, list[PlannedStep]]], *, actor) -> None:
    """Write steps planned on histories loaded by `load_histories` (and applied to them), inside
    the caller's transaction: new cases, events, certificates (a renewal after the certificate
    it renews), ended certificates, the cases' stored state and one change-log entry per step,
    as `record_step` writes them. Raises HistoryChanged when a case changed since it was read."""
    planned = [(history, steps) for history, steps in planned if steps]
    if not planned:
        return
    ids = [history.case.enterprise_id for history, _ in planned]
    now = _current_fingerprints(ids)
    if any(now[h.case.enterprise_id] != h.fingerprint for h, _ in planned):
        raise HistoryChanged(
            "导入期间有企业的创建进度被修改,本批未写入;请重新导入(已写入的不会重复写入)"
        )
    stamp = timezone.now()
    differ = audit.Differ(Case, CASE_FIELDS)
    befores = [differ.readable(vars(h.case)) for h, _ in planned]  # for the change log
    for history, steps in planned:
        case = history.case
        for name, value in steps[-1].after.items():
            setattr(case, name, value)
        case.updated_at = stamp
    # A new case is inserted as the steps leave it: on PostgreSQL an UPDATE of each row just
    # inserted would write it twice (its state is indexed) and fire its triggers twice.
    stored = [h.case for h, _ in planned if h.case.pk is not None]
    new_cases = [h.case for h, _ in planned if h.case.pk is None]
    for case in new_cases:
        case.created_at = stamp
    _insert(new_cases, CASE_COLUMNS)
    events = [step.event for _, steps in planned for step in steps]
    for event in events:
        event.case_id = event.case.pk
        event.recorded_at = stamp
    _insert(events, EVENT_COLUMNS)
    _write_certificates([s for _, steps in planned for s in steps])
    for _, steps in planned:
        for step in steps:
            event = step.event
            if event.kind == EventKind.REVIEW_FAIL and event.assessment_id:
                Rectification.objects.filter(
                    assessment_id=event.assessment_id, event__isnull=True
                ).update(event=event)
    _update(stored, STORED)
    _write_log(planned, befores, differ, actor=actor, stamp=stamp)


def _write_certificates(steps: list[PlannedStep]) -> None:
    """New certificates in generations (a renewal refers to the certificate it renews, which
    may be new in the same batch), then the stored ones a step ended."""
    pending = [s.certificate for s in steps if s.certificate is not None]
    for certificate in pending:
        certificate.case_id = certificate.case.pk
        certificate.event_id = certificate.event.pk
    while pending:
        ready = [c for c in pending if c.replaces is None or c.replaces.pk is not None]
        for certificate in ready:
            certificate.replaces_id = certificate.replaces.pk if certificate.replaces else None
            if certificate.end_event is not None:
                certificate.end_event_id = certificate.end_event.pk
        _insert(ready, CERTIFICATE_COLUMNS)
        pending = [c for c in pending if c.pk is None]
    ended = {id(s.ends): s.ends for s in steps if s.ends is not None and s.ends.pk is not None}
    for certificate in ended.values():
        certificate.end_event_id = certificate.end_event.pk
    _update(list(ended.values()), ("ended_on", "end_kind", "end_reason", "end_event_id"))


def _write_log(planned, befores: list[dict], differ: audit.Differ, *, actor, stamp) -> None:
    """One change-log entry per step, with the diff `sync_case` writes (see `audit.record`):
    each step's state against the one before it, the first against the case as it was read."""
    actor_id = getattr(actor_or_none(actor), "pk", None)
    address = audit.request_address.get()
    states = dict(CaseState.choices)
    kinds = dict(EventKind.choices)
    diffs: dict[tuple, list] = {}  # (before, after) → their diff: many steps make the same change
    logs = []
    for (history, steps), before in zip(planned, befores, strict=True):
        case = history.case
        enterprise = str(case.enterprise)
        names: dict[str, str] = {}  # state → str(case), the entry's object name
        for step in steps:
            after = differ.readable(step.after)
            state = step.after["state"]
            if state not in names:
                # What `Case.__str__` says, without a model lookup of the label per step.
                names[state] = f"{enterprise} · {states.get(state, state)}"[:200]
            key = (*before.values(), *after.values())
            diff = diffs.get(key)
            if diff is None:
                diff = diffs[key] = differ.diff(before, after)
            event = step.event
            note = f"{kinds[event.kind]} {event.on.isoformat()}"
            logs.append(
                (
                    stamp,
                    actor_id,
                    ChangeLog.Action.STATUS,
                    "cases.case",
                    str(case.pk),
                    names[state],
                    case.enterprise_id,
                    diff,
                    note[:200],
                    address,
                )
            )
            before = after
    _insert_rows(ChangeLog, audit.LOG_COLUMNS, logs, ids=False)


def _converters(model, columns: Sequence[str]) -> list:
    """Per column: the attribute to read and how its value goes to the driver, decided once
    (dates, decimals, JSON and addresses need the backend's form; the rest pass as they are)."""
    ops = connection.ops
    prepared = []
    for name in columns:
        field = model._meta.get_field(name)
        if isinstance(field, models.JSONField):
            convert = _Json(field)
        elif isinstance(field, models.DateTimeField):  # the batch's one time stamp
            convert = _last(ops.adapt_datetimefield_value)
        elif isinstance(field, models.DateField):
            convert = ops.adapt_datefield_value
        elif isinstance(field, models.DecimalField):
            convert = partial(
                _decimal, ops.adapt_decimalfield_value, field.max_digits, field.decimal_places
            )
        elif isinstance(field, models.GenericIPAddressField):
            convert = ops.adapt_ipaddressfield_value
        else:
            convert = None
        prepared.append((field.attname, convert))
    return prepared


def _last(convert):
    """`convert`, remembering its last answer: a batch stamps every row with the same time."""
    memo = [object(), None]

    def converted(value):
        if value is not memo[0]:
            memo[0], memo[1] = value, convert(value)
        return memo[1]

    return converted


class _Json:
    """A JSON value as the text Django stores (`json.dumps` with the field's encoder), once per
    value object: the change log's entries share the diff of the same change (`_write_log`)."""

    def __init__(self, field: models.JSONField) -> None:
        self.encoder = field.encoder
        self.texts: dict[int, tuple[object, str]] = {}  # id → (the value, kept alive; text)

    def __call__(self, value) -> str | None:
        if value is None:
            return None
        known = self.texts.get(id(value))
        if known is None:
            known = self.texts[id(value)] = (value, json.dumps(value, cls=self.encoder))
        return known[1]


def _decimal(adapt, digits, places, value):
    return None if value is None else adapt(value, digits, places)


def _insert(objs: list, columns: Sequence[str]) -> None:
    """INSERT model instances (one model) and give each its primary key."""
    if not objs:
        return
    model = type(objs[0])
    attnames = [model._meta.get_field(c).attname for c in columns]
    rows = [[getattr(obj, name) for name in attnames] for obj in objs]
    for obj, pk in zip(objs, _insert_rows(model, columns, rows), strict=True):
        obj.pk = pk
        obj._state.adding = False


def _insert_rows(model, columns: Sequence[str], rows: list, *, ids: bool = True) -> list:
    """Multi-row INSERTs of raw values; with `ids`, the new primary keys in order (RETURNING,
    SQLite ≥ 3.35). `bulk_create` does the same but compiles every value through the ORM: most
    of the import's time, for a plain append. PostgreSQL gets COPY (`_copy`): no statement of
    thousands of placeholders to parse, and the rows formatted by the driver's C code."""
    if not rows:
        return []
    opts = model._meta
    quote = connection.ops.quote_name
    convert = [(i, c) for i, (_, c) in enumerate(_converters(model, columns)) if c is not None]
    prepared = []
    for row in rows:
        row = list(row)
        for i, c in convert:
            row[i] = c(row[i])
        prepared.append(row)
    table = quote(opts.db_table)
    names = ", ".join(quote(opts.get_field(c).column) for c in columns)
    returning = f" RETURNING {quote(opts.pk.column)}" if ids else ""
    keys = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _copy(cursor, opts, columns, prepared, ids)
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        size = max(1, min(500, 900 // len(columns)))  # SQLite: at most 999 parameters
        for start in range(0, len(prepared), size):
            chunk = prepared[start : start + size]
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values}{returning}",  # noqa: S608
                [value for row in chunk for value in row],
            )
            if ids:
                keys.extend(pk for (pk,) in cursor.fetchall())
    return keys


def _copy(cursor, opts, columns, prepared: list, ids: bool) -> list:
    """PostgreSQL: COPY, whose rows the driver formats in C (an array a column, UNNESTed, was
    dumped element by element in Python: most of the write's own time). COPY returns nothing,
    so the new rows' keys are drawn from the table's sequence first, in increasing order as
    the INSERTs would give them."""
    import psycopg

    quote = connection.ops.quote_name
    names = [quote(opts.get_field(c).column) for c in columns]
    keys: list[int] = []
    with psycopg.Cursor(cursor.connection) as raw:
        if ids:
            raw.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, len(prepared)],
            )
            keys = sorted(key for (key,) in raw.fetchall())
            names.insert(0, quote(opts.pk.column))
            prepared = [[key, *row] for key, row in zip(keys, prepared, strict=True)]
        sql = f"COPY {quote(opts.db_table)} ({', '.join(names)}) FROM STDIN"
        with raw.copy(sql) as copy:
            for row in prepared:
                copy.write_row(row)
    return keys


def _update(objs: list, columns: Sequence[str]) -> None:
    """One UPDATE statement by primary key, executed for every object (executemany)."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    quote = connection.ops.quote_name
    prepared = _converters(model, columns)
    sets = ", ".join(f"{quote(opts.get_field(c).column)} = %s" for c in columns)
    sql = f"UPDATE {quote(opts.db_table)} SET {sets} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608
    rows = []
    for obj in objs:
        row = [getattr(obj, name) for name, _ in prepared]
        rows.append([c(v) if c else v for v, (_, c) in zip(row, prepared, strict=True)])
        rows[-1].append(obj.pk)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, rows)
            return
        # PostgreSQL: one statement joined to the new values (as `_insert_unnest`).
        import psycopg

        fields = [opts.get_field(c) for c in columns] + [opts.pk]
        arrays = ", ".join(f"(%b)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        aliases = ", ".join(f"v{i}" for i in range(len(fields)))
        sets = ", ".join(f"{quote(f.column)} = v.v{i}" for i, f in enumerate(fields[:-1]))
        table = quote(opts.db_table)
        sql = (
            f"UPDATE {table} SET {sets} FROM UNNEST({arrays}) AS v({aliases}) "  # noqa: S608
            f"WHERE {table}.{quote(opts.pk.column)} = v.v{len(fields) - 1}"
        )
        with psycopg.Cursor(cursor.connection) as bound:
            bound.execute(sql, [list(column) for column in zip(*rows, strict=True)])
