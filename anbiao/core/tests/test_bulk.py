"""core/bulk.insert_rows writes what the ORM would: the same values read back for every column
type a large import uses (text, dates, timestamps, decimals, booleans, nulls, JSON, foreign
keys) — through COPY on PostgreSQL and multi-row INSERTs on SQLite, whichever this run uses."""

import gc
import weakref
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from anbiao.cases.models import Case, CaseEvent
from anbiao.core import audit
from anbiao.core.bulk import adapter, insert_objects, insert_rows, old_objects_frozen, unsaved
from anbiao.core.models import ChangeLog
from anbiao.enterprises.models import Enterprise, EnterpriseFact, RiskTag
from anbiao.enterprises.services import CREATE_COLUMNS
from anbiao.testing.factories import make_enterprise, region

pytestmark = pytest.mark.django_db

AT = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
FIELDS = ("enterprise", "kind", "value", "reason", "effective_on", "source", "recorded_at")


def read_back(model, pks=None, exclude=("id",)):
    rows = model.objects.order_by("pk") if pks is None else model.objects.filter(pk__in=pks)
    return [{k: v for k, v in row.items() if k not in exclude} for row in rows.values()]


def test_facts_written_in_bulk_read_back_as_the_orm_writes_them(reference, station_officer):
    enterprise = make_enterprise(name="厦门批量机械有限公司")
    EnterpriseFact.objects.all().delete()
    facts = [
        (enterprise.pk, "size", "small", "", date(2025, 2, 28), "import", AT, station_officer.pk),
        (
            enterprise.pk,
            "eligibility",
            "0",
            "仅办公;有引号'\"\t\\",
            date(2025, 3, 1),
            "import",
            AT,
            None,
        ),
    ]
    assert insert_rows(EnterpriseFact, (*FIELDS, "recorded_by"), facts) == 2
    bulk = read_back(EnterpriseFact)
    EnterpriseFact.objects.all().delete()
    for pk, kind, value, reason, on, source, at, by in facts:
        fact = EnterpriseFact.objects.create(
            enterprise_id=pk,
            kind=kind,
            value=value,
            reason=reason,
            effective_on=on,
            source=source,
            recorded_by_id=by,
        )
        EnterpriseFact.objects.filter(pk=fact.pk).update(recorded_at=at)  # auto_now_add
    assert bulk == read_back(EnterpriseFact)
    assert bulk[1]["reason"] == "仅办公;有引号'\"\t\\"


def test_enterprises_and_change_log_lines_in_bulk_match_the_orm(reference):
    minan = region("350213007")
    columns = CREATE_COLUMNS
    base = {
        "name_initials": "",
        "name_pinyin": "",
        "address": "",
        "industry_code": "",
        "status": "operating",
        "status_since": None,
        "principal_name": "",
        "principal_phone": "",
        "safety_manager_name": "",
        "safety_manager_phone": "",
        "eligibility_reason": "",
        "created_at": AT,
        "updated_at": AT,
    }
    first = {
        **base,
        "name": "厦门甲机械有限公司",
        "uscc": "91350213MA0000001X",
        "region": minan.pk,
        "industry": "machinery",
        "size": "small",
        "employees": 12,
        "revenue": Decimal("860.50"),
        "in_torch_zone": False,
        "eligible": None,
        "ledger_since": date(2025, 2, 28),
    }
    second = {
        **first,
        "name": "=厦门乙公式有限公司",
        "uscc": "91350213MA0000002X",
        "employees": None,
        "revenue": None,
        "in_torch_zone": True,
        "eligible": False,
        "ledger_since": None,
        "eligibility_reason": "仅办公",
    }
    rows = [tuple(item[c] for c in columns) for item in (first, second)]
    insert_rows(Enterprise, columns, rows)
    bulk = read_back(Enterprise)
    Enterprise.objects.all().delete()
    for row in rows:
        data = dict(zip(columns, row, strict=True))
        data["region_id"] = data.pop("region")
        enterprise = Enterprise.objects.create(**data)
        Enterprise.objects.filter(pk=enterprise.pk).update(created_at=AT, updated_at=AT)
    assert bulk == read_back(Enterprise)
    assert bulk[0]["revenue"] == Decimal("860.50") and bulk[1]["eligible"] is False

    changes = [{"field": "name", "label": "企业名称", "old": "甲", "new": "乙"}]
    enterprise = Enterprise.objects.first()
    log = (
        AT,
        None,
        "update",
        "enterprises.enterprise",
        str(enterprise.pk),
        enterprise.name,
        enterprise.pk,
        changes,
        "来源:台账导入",
        "10.0.0.8",
    )
    fields = audit.LOG_COLUMNS
    ChangeLog.objects.all().delete()
    insert_rows(ChangeLog, fields, [log])
    bulk_log = read_back(ChangeLog)
    ChangeLog.objects.all().delete()
    insert_objects(
        [
            ChangeLog(
                **dict(
                    zip(
                        ("at", "actor_id", *fields[2:6], "enterprise_id", *fields[7:]),
                        log,
                        strict=True,
                    )
                )
            )
        ]
    )
    assert bulk_log == read_back(ChangeLog)
    assert bulk_log[0]["changes"] == changes


def test_rows_prepared_once_per_value_read_back_as_rows_left_to_insert_rows(reference):
    enterprise = make_enterprise(name="厦门预备机械有限公司")
    EnterpriseFact.objects.all().delete()
    on, at = adapter(EnterpriseFact, "effective_on"), adapter(EnterpriseFact, "recorded_at")
    rows = [(enterprise.pk, "size", "small", "", date(2025, 2, 28), "import", AT)] * 2
    insert_rows(EnterpriseFact, FIELDS, rows[:1])
    insert_rows(
        EnterpriseFact,
        FIELDS,
        [(*r[:4], on(r[4]), r[5], at(r[6])) for r in rows[1:]],
        prepared=True,
    )
    first, second = read_back(EnterpriseFact)
    assert first == second
    assert adapter(EnterpriseFact, "value")("small") == "small"


def test_an_import_spares_the_collector_old_objects_and_leaves_it_as_it_was():
    assert gc.get_freeze_count() == 0
    with old_objects_frozen():
        assert gc.get_freeze_count() > 0
        cycle: list = []
        cycle.append(cycle)
        watched = weakref.ref(Cyclic(cycle))
        assert gc.collect() and watched() is None  # what the import makes is still collected
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a server that froze its start-up objects keeps them frozen
    try:
        frozen = gc.get_freeze_count()
        with old_objects_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


class Cyclic:
    def __init__(self, other):
        self.me, self.other = self, other


def test_a_row_of_the_wrong_width_is_refused_before_anything_is_written(reference):
    # In its own transaction, as the importers write: on PostgreSQL the COPY under way is
    # abandoned, and that aborts the transaction around it.
    with pytest.raises(ValueError, match="2 values for 3 columns"), transaction.atomic():
        insert_rows(EnterpriseFact, ("enterprise", "kind", "value"), [(1, "size")])
    assert not EnterpriseFact.objects.filter(kind="size", enterprise_id=1).exists()
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_row_the_database_refuses_raises_djangos_error_and_writes_nothing(reference):
    # The rows go to the driver's own cursor (COPY, or SQLite's ? marks): its errors still reach
    # callers (the import's retry on a locked database, the services) as Django's.
    enterprise = make_enterprise(name="厦门重复标签机械有限公司")
    dust = RiskTag.objects.get(code="dust_explosion")
    through = Enterprise.risk_tags.through
    pair = (enterprise.pk, dust.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(through, ("enterprise", "risktag"), [pair, pair])
    assert not through.objects.filter(enterprise=enterprise).exists()


def test_more_rows_than_one_statement_holds_are_all_written_in_order(reference):
    enterprise = make_enterprise(name="厦门多行机械有限公司")
    EnterpriseFact.objects.all().delete()
    # 8 columns: SQLite takes 124 rows a statement, so 301 rows are three statements and a rest.
    facts = [
        (enterprise.pk, "size", f"v{n}", "", date(2025, 2, 28), "import", AT, None)
        for n in range(301)
    ]
    assert insert_rows(EnterpriseFact, (*FIELDS, "recorded_by"), facts) == 301
    assert [fact["value"] for fact in read_back(EnterpriseFact)] == [f"v{n}" for n in range(301)]


def test_an_unsaved_instance_holds_and_saves_what_the_model_constructor_gives(reference):
    enterprise = make_enterprise(name="厦门未存机械有限公司")
    case = Case.objects.create(enterprise=enterprise, cycle=1)
    values = {"case": case, "kind": "start", "on": date(2025, 3, 1), "state_after": "started"}
    fast, slow = unsaved(CaseEvent, **values), CaseEvent(**values)
    fields = [f.attname for f in CaseEvent._meta.concrete_fields]
    assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert fast.case is case and fast.pk is None and fast._state.adding
    fast.save()
    assert CaseEvent.objects.get(pk=fast.pk).get_kind_display() == slow.get_kind_display()
