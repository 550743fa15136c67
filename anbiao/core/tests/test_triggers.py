"""`core.triggers.installed`: the tests that every trigger of the derived state is installed
(figure version and blocks, a case's current state) see one dropped."""

import pytest
from django.db import connection

from anbiao.campaigns import figure_version
from anbiao.cases import current_state
from anbiao.core import triggers

pytestmark = pytest.mark.django_db


def drop(name: str, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')


def test_a_dropped_trigger_is_reported_missing():
    assert figure_version.tables_without_trigger() == []
    assert current_state.triggers_missing() == []
    ours = triggers.installed(figure_version.TRIGGER)
    on_enterprises = sorted(n for t, n in ours if t == "enterprises_enterprise")
    assert on_enterprises and all(n.startswith(figure_version.TRIGGER) for n in on_enterprises)
    for name in on_enterprises:
        if connection.vendor == "sqlite" or name == figure_version.TRIGGER:
            drop(name, "enterprises_enterprise")
    assert figure_version.tables_without_trigger() == ["enterprises_enterprise"]

    (table, name), *_ = sorted(triggers.installed(current_state.TRIGGER))
    drop(name, table)
    assert current_state.triggers_missing() == [name]
