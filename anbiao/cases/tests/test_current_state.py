"""`Enterprise.case_state` is the state of the enterprise's current case (its latest cycle;
未开展 without one) whatever writes the cases: the services, undo, the progress import (COPY on
PostgreSQL), bulk writes, raw updates and deletes — and a write of the column itself is put
back (cases/current_state.py)."""

from datetime import date

import pytest
from django.db import connection

from anbiao.cases import current_state, services
from anbiao.cases.choices import CaseState
from anbiao.cases.importers import import_progress
from anbiao.cases.models import Case
from anbiao.cases.tests.test_import_progress import workbook
from anbiao.cases.tests.test_import_progress_bulk import STORIES, _before, _file_rows
from anbiao.enterprises.models import Enterprise
from anbiao.testing.factories import certify, make_enterprise, make_uscc, record_steps

pytestmark = pytest.mark.django_db


def computed(enterprise: Enterprise) -> str:
    """The current case's state, read from the cases as the board read it before the column."""
    case = Case.objects.filter(enterprise=enterprise).order_by("-cycle").first()
    return case.state if case else CaseState.NOT_STARTED


def stored(enterprise: Enterprise) -> str:
    return Enterprise.objects.values_list("case_state", flat=True).get(pk=enterprise.pk)


def test_every_trigger_is_installed():
    assert current_state.triggers_missing() == []


def test_the_services_and_undo_keep_the_stored_state(station_officer):
    enterprise = make_enterprise()
    assert stored(enterprise) == CaseState.NOT_STARTED
    record_steps(enterprise, ("start", date(2025, 3, 1)), actor=station_officer)
    assert stored(enterprise) == CaseState.IN_PROGRESS == computed(enterprise)
    certify(enterprise, date(2025, 6, 1))
    assert stored(enterprise) == CaseState.CERTIFIED == computed(enterprise)
    services.case_correct_last(actor=station_officer, enterprise=enterprise, note="录入有误")
    assert stored(enterprise) == computed(enterprise) != CaseState.CERTIFIED
    assert current_state.mismatches() == []


def test_the_progress_import_keeps_the_stored_state(station_officer, settings, tmp_path):
    settings.ANBIAO_IMPORT_WRITE_BATCH_ROWS = 4  # several batches, new and stored cases
    enterprises = [make_enterprise(name=f"导入企业{n}") for n in range(len(STORIES))]
    for enterprise, (before, _) in zip(enterprises, STORIES, strict=True):
        _before(enterprise, before, "IMP", station_officer)
    untouched = make_enterprise(name="未导入企业")
    path = workbook(tmp_path / "进度.xlsx", _file_rows(enterprises, "IMP"))

    assert import_progress(path, user=station_officer).errors == []

    assert [stored(e) for e in enterprises] == [
        CaseState.CERTIFIED,
        CaseState.APPLIED,
        CaseState.CERTIFIED,
        CaseState.CERTIFIED,
    ]
    assert stored(untouched) == CaseState.NOT_STARTED
    assert current_state.mismatches() == []


def test_bulk_and_raw_writes_of_cases_keep_the_stored_state():
    first, second = make_enterprise(), make_enterprise()
    Case.objects.bulk_create(
        [
            Case(enterprise=first, cycle=1, state=CaseState.CERTIFIED),
            Case(enterprise=second, cycle=1, state=CaseState.APPLIED),
        ]
    )
    assert (stored(first), stored(second)) == (CaseState.CERTIFIED, CaseState.APPLIED)
    # A new cycle decides; the old one's changes no longer show.
    new_cycle = Case.objects.create(enterprise=first, cycle=2, state=CaseState.IN_PROGRESS)
    Case.objects.filter(enterprise=first, cycle=1).update(state=CaseState.REVOKED)
    assert stored(first) == CaseState.IN_PROGRESS
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET state = %s WHERE id = %s",
            [CaseState.SELF_ASSESSED, new_cycle.pk],
        )
    assert stored(first) == CaseState.SELF_ASSESSED
    new_cycle.delete()
    assert stored(first) == CaseState.REVOKED
    # A case moved to another enterprise (never done, but exact all the same).
    Case.objects.filter(enterprise=second).update(enterprise=first, cycle=3)
    assert (stored(first), stored(second)) == (CaseState.APPLIED, CaseState.NOT_STARTED)
    Case.objects.filter(enterprise=first).delete()
    assert stored(first) == CaseState.NOT_STARTED
    assert current_state.mismatches() == []


def test_a_write_of_the_column_itself_is_put_back():
    enterprise = make_enterprise()
    certify(enterprise, date(2025, 6, 1))
    stale = Enterprise.objects.get(pk=enterprise.pk)
    record_steps(enterprise, ("revoke", date(2025, 9, 1), {"note": "发生生产安全事故"}))
    moved = computed(enterprise)
    assert moved != CaseState.CERTIFIED
    stale.principal_phone = "13900000000"
    stale.save()  # read before the case moved: it writes every column, case_state included
    assert stored(enterprise) == moved
    Enterprise.objects.filter(pk=enterprise.pk).update(case_state=CaseState.CERTIFIED)
    assert stored(enterprise) == moved
    fresh = Enterprise.objects.create(  # a new enterprise has no case
        name="新登记企业",
        uscc=make_uscc(),
        region=enterprise.region,
        case_state=CaseState.CERTIFIED,
    )
    assert stored(fresh) == CaseState.NOT_STARTED


def test_install_repairs_states_written_without_the_triggers():
    enterprise = make_enterprise()
    certify(enterprise, date(2025, 6, 1))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The data version's deferred triggers fire now: no ALTER with events pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE enterprises_enterprise DISABLE TRIGGER anbiao_case_state_guard_update"
            )
        else:
            cursor.execute('DROP TRIGGER "anbiao_case_state_guard_update"')
        cursor.execute(
            "UPDATE enterprises_enterprise SET case_state = %s WHERE id = %s",
            [CaseState.NOT_STARTED, enterprise.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE enterprises_enterprise ENABLE TRIGGER anbiao_case_state_guard_update"
            )
    assert current_state.mismatches() == [
        (enterprise.pk, CaseState.NOT_STARTED, CaseState.CERTIFIED)
    ]
    current_state.install()
    assert current_state.mismatches() == []
    assert current_state.triggers_missing() == []
