"""`Enterprise.case_state`: each enterprise's current case state (the state of its case of the
latest cycle, 未开展 without a case), stored on the enterprise and kept by the database itself.

The case board counts every enterprise in scope by this state (its state cards, its total and
its paginator's groups: `selectors.board_tally`). Computed per enterprise — a lookup of its
latest case for each of 100k enterprises — that count was most of the board's time on
PostgreSQL (~150 ms of ~175 ms as the district, quiet machine); read from a column of the
enterprise it is a scan of one table (~40 ms), and the state filter is a plain comparison.

A stored copy is only as good as every writer: services (`record.sync_case`), the progress
import (`services/history.py` writes cases with `COPY` on PostgreSQL), undo, the exchange
package, the demo builder, test factories, `bulk_create`, raw SQL. So triggers on `cases_case`
recompute the enterprise's state from its cases after any insert, update or delete, whatever
wrote it, in the writing statement; and a trigger on `enterprises_enterprise` puts the computed
value back when anything else writes the column (a stale `Enterprise.save()` of an instance read
before its case changed). The value is never written by Python.

As `campaigns/figure_version.py`'s triggers, these are (re)installed after every `migrate`
(`install`, a post_migrate receiver in `cases/apps.py`): SQLite drops a table's triggers when a
migration rebuilds the table. `install` then sets every enterprise's stored state to the
computed one (the backfill of the migration that added the column, and a repair of anything
written while a rebuilt table had no trigger). `mismatches` lists the enterprises whose stored
state differs from the computed one (the tests assert there are none).
"""

from django.db import connections

from anbiao.cases.choices import CaseState
from anbiao.core import triggers

TRIGGER = "anbiao_case_state"
DEFAULT = CaseState.NOT_STARTED.value

# An enterprise's current state from its cases, for the enterprise whose id is `{id}`.
_COMPUTED = (
    "COALESCE((SELECT c.state FROM cases_case c WHERE c.enterprise_id = {id} "  # noqa: S608
    f"ORDER BY c.cycle DESC LIMIT 1), '{DEFAULT}')"
)


def _set_state(enterprise_id: str) -> str:
    """An UPDATE storing the computed state of one enterprise, writing its row only when the
    state changes (an unchanged row is not rewritten)."""
    computed = _COMPUTED.format(id=enterprise_id)
    return (
        f"UPDATE enterprises_enterprise SET case_state = {computed} "  # noqa: S608
        f"WHERE id = {enterprise_id} AND case_state IS DISTINCT FROM {computed}"
    )


def _sqlite_statements() -> list[str]:
    sync = {
        "insert": ("AFTER INSERT ON cases_case", [_set_state("NEW.enterprise_id")]),
        "update": (
            "AFTER UPDATE OF enterprise_id, cycle, state ON cases_case",
            [_set_state("OLD.enterprise_id"), _set_state("NEW.enterprise_id")],
        ),
        "delete": ("AFTER DELETE ON cases_case", [_set_state("OLD.enterprise_id")]),
        # A write of the column itself (not by the statements above, which store the computed
        # value): the computed one is put back. SQLite's triggers cannot change NEW.
        "guard_insert": (
            "AFTER INSERT ON enterprises_enterprise",
            [_set_state("NEW.id")],
        ),
        "guard_update": (
            "AFTER UPDATE OF case_state ON enterprises_enterprise",
            [_set_state("NEW.id")],
        ),
    }
    statements = []
    for suffix, (event, body) in sync.items():
        name = f"{TRIGGER}_{suffix}"
        when = ""
        if suffix.startswith("guard"):
            when = f"WHEN NEW.case_state IS NOT {_COMPUTED.format(id='NEW.id')} "
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}"',
            f'CREATE TRIGGER "{name}" {event} FOR EACH ROW {when}BEGIN '
            + "".join(f"{sql}; " for sql in body)
            + "END",
        ]
    return [s.replace("IS DISTINCT FROM", "IS NOT") for s in statements]


_PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_of(enterprise bigint) RETURNS varchar
LANGUAGE sql STABLE AS $$ SELECT {_COMPUTED.format(id="enterprise")} $$""",
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  computed varchar;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    computed := {TRIGGER}_of(OLD.enterprise_id);
    UPDATE enterprises_enterprise SET case_state = computed
      WHERE id = OLD.enterprise_id AND case_state IS DISTINCT FROM computed;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.enterprise_id <> OLD.enterprise_id) THEN
    computed := {TRIGGER}_of(NEW.enterprise_id);
    UPDATE enterprises_enterprise SET case_state = computed
      WHERE id = NEW.enterprise_id AND case_state IS DISTINCT FROM computed;
  END IF;
  RETURN NULL;
END $$""",  # noqa: S608 - constants only
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.case_state := {TRIGGER}_of(NEW.id);
  RETURN NEW;
END $$""",
]


def _pg_statements() -> list[str]:
    sync = f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}_sync()"
    guard = f"FOR EACH ROW WHEN ({{when}}) EXECUTE FUNCTION {TRIGGER}_guard()"
    triggers = {
        "cases_case": {
            f"{TRIGGER}_sync": f"AFTER INSERT OR DELETE ON cases_case {sync}",
            f"{TRIGGER}_sync_update": (
                f"AFTER UPDATE OF enterprise_id, cycle, state ON cases_case {sync}"
            ),
        },
        "enterprises_enterprise": {
            # A new enterprise has no case: only another value than the default is checked.
            f"{TRIGGER}_guard": "BEFORE INSERT ON enterprises_enterprise "
            + guard.format(when=f"NEW.case_state IS DISTINCT FROM '{DEFAULT}'"),
            f"{TRIGGER}_guard_update": "BEFORE UPDATE OF case_state ON enterprises_enterprise "
            + guard.format(when="NEW.case_state IS DISTINCT FROM OLD.case_state"),
        },
    }
    statements = list(_PG_FUNCTIONS)
    for table, named in triggers.items():
        for name, definition in named.items():
            statements += [
                f'DROP TRIGGER IF EXISTS {name} ON "{table}"',
                f"CREATE TRIGGER {name} {definition}",
            ]
    return statements


_NAMES = {
    "sqlite": {
        f"{TRIGGER}_{suffix}": None
        for suffix in ("insert", "update", "delete", "guard_insert", "guard_update")
    },
    "postgresql": {
        f"{TRIGGER}_sync": "cases_case",
        f"{TRIGGER}_sync_update": "cases_case",
        f"{TRIGGER}_guard": "enterprises_enterprise",
        f"{TRIGGER}_guard_update": "enterprises_enterprise",
    },
}


def _drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{name}"' for name in _NAMES["sqlite"]]
    return [
        f'DROP TRIGGER IF EXISTS {name} ON "{table}"'
        for name, table in _NAMES["postgresql"].items()
    ]


def install(using: str = "default", **kwargs) -> None:
    """(Re)create the triggers and store every enterprise's computed state (post_migrate)."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    tables = set(connection.introspection.table_names())
    if not {"cases_case", "enterprises_enterprise"} <= tables:
        return
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, "enterprises_enterprise")
    if "case_state" not in {column.name for column in described}:
        # Migrated back before the column (`migrate enterprises 0007`): triggers writing it
        # would fail every write of a case.
        with connection.cursor() as cursor:
            for sql in _drop_statements(connection.vendor):
                cursor.execute(sql)
        return
    if connection.vendor == "postgresql":
        statements = _pg_statements()
    else:
        statements = _sqlite_statements()
    # Set-based: the enterprises whose stored state is not their computed one.
    statements.append(
        "UPDATE enterprises_enterprise SET case_state = cur.state FROM ("  # noqa: S608
        "  SELECT e.id AS id, " + _COMPUTED.format(id="e.id") + " AS state"
        "  FROM enterprises_enterprise e) cur "
        "WHERE cur.id = enterprises_enterprise.id "
        "AND enterprises_enterprise.case_state <> cur.state"
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def mismatches(using: str = "default") -> list[tuple[int, str, str]]:
    """(enterprise id, stored state, computed state) of every enterprise whose stored state is
    not the one computed from its cases: none, unless something bypassed the triggers."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.case_state, " + _COMPUTED.format(id="e.id") + " AS computed "
            "FROM enterprises_enterprise e "
            "WHERE e.case_state <> " + _COMPUTED.format(id="e.id") + " ORDER BY e.id"
        )
        return [tuple(row) for row in cursor.fetchall()]


def triggers_missing(using: str = "default") -> list[str]:
    """Triggers of this module absent from the database (checked by the tests)."""
    present = {name for _table, name in triggers.installed(TRIGGER, using)}
    return sorted(set(_NAMES[connections[using].vendor]) - present)
