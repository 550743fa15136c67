"""The data version of the dashboard's figures: a number that moves exactly when a figure can
change, kept by the database itself.

The figures read the ledger (enterprises, their facts and spans), cases, case events,
certificates, training, supervision, benchmarks, agencies (an agency user's scope), the
campaign's targets and tasks, and the regions. A change log or a max-pk version misses writes
that raise no pk (voiding a certificate, undoing an event, bulk imports, the demo loader, a
`QuerySet.update`) and moves with writes that change no figure (notification settings, an
enterprise's phone number). So the version is one row (`FigureVersion`) raised by database
triggers on every table of those apps (`SOURCE_APPS`, `SOURCE_MODELS`), whatever wrote to it —
a service, `bulk_create`, raw SQL or a migration — in the writing transaction, so a reader
never sees new data under an old version it has not read before the data. Only the columns of
`IGNORED_COLUMNS` (an enterprise's name, address and contacts, which no figure reads) may change
without moving it. Writes to any other table (notifications, the change log, users' sessions)
leave it alone.

On PostgreSQL the trigger is a deferred constraint trigger that raises the number once per
transaction at commit: taken earlier, the lock on the single row would be held while the
transaction goes on to lock other rows, and two writers could deadlock. SQLite has one writer at
a time, so its row triggers raise it at once.

The same triggers keep a second, finer record for the counts (`counts.for_dates`): enterprises
fall in blocks of BLOCK ids, and a write to a table the counts read raises the number of the
block of the enterprise it belongs to (`FigureBlock`; the enterprise's own id, its
`enterprise_id`, its case's, or a session's attendees'), or of every block (-1) when it belongs
to none (a region, the campaign). The counts keep their changes by day per block and recount,
after a write, only the blocks whose number moved (`day_tables.py`); a write to a table the
counts do not read (supervision, benchmarks) moves the version but no block. On PostgreSQL a
transaction raises each block once, at commit, after the version: every writer takes the
version's row lock before any block's, so two writers cannot deadlock on blocks.

A bulk writer that inserts hundreds of thousands of rows (the ledger import: about eight rows an
enterprise) raises the numbers once instead (core/triggers.py, `bulk_insert`): inside it the row
triggers skip their work — on PostgreSQL by a transaction-local setting their WHEN reads, on
SQLite by a marker row (id 0 in the version's table) that no other connection ever sees, since
it is removed before the one writer commits — and on leaving it the version and the blocks of
the enterprises written are raised by one statement each (`bulk_enter`, `bulk_leave`). On a
100k-row ledger the triggers were a quarter of the import's time on PostgreSQL.

The triggers are (re)installed after every `migrate` (`install`, a post_migrate receiver):
SQLite drops a table's triggers when a migration rebuilds the table, and a new table of a
source app is covered without anyone remembering to. `anbiao/campaigns/tests/test_cache.py`
checks that every source table has its trigger.
"""

from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.models import Model

from anbiao.campaigns.models import FigureBlock, FigureVersion
from anbiao.core import triggers

SOURCE_APPS = (
    "enterprises",
    "cases",
    "training",
    "supervision",
    "benchmarks",
    "agencies",
    "campaigns",
)
SOURCE_MODELS = ("accounts.Region", "accounts.DepartmentIndustry")
NOT_SOURCES = (
    "enterprises.ExportJob",
    "campaigns.FigureVersion",
    "campaigns.FigureBlock",
    "campaigns.DashboardSnapshot",
)
IGNORED_COLUMNS = {
    "enterprises.Enterprise": (
        "name",
        "name_initials",
        "name_pinyin",
        "address",
        "principal_name",
        "principal_phone",
        "safety_manager_name",
        "safety_manager_phone",
        "updated_at",
        # A copy of the current case's state (cases/current_state.py): the write of the case
        # that changes it moves the version already.
        "case_state",
    ),
}
VERSION_TABLE = "campaigns_figureversion"
TRIGGER = "anbiao_figure_version"
_GUARD = "anbiao.figure_version_txid"  # the transaction that bumped last

# Enterprises per block of the counts' changes by day (`day_tables.py`): at 1,000,000 enterprises
# 123 blocks, each recounted in about a hundredth of the whole.
BLOCK = 8192
EVERY_BLOCK = -1
BLOCK_TABLE = "campaigns_figureblock"
_BLOCK_GUARD = "anbiao.figure_blocks"  # "txid:,block,block," raised by this transaction
_BULK = "anbiao.figure_bulk"  # PostgreSQL: "on" while a bulk writer raises the numbers itself
BULK_MARKER_ID = 0  # SQLite: the version table's row that says the same
# The tables the counts read (their statement, with every user's scope: `test_day_tables.py`
# holds it to this list), each with what names the enterprises a row belongs to — the
# enterprise's own id, `enterprise_id`, `case_id` for its case's, `attendance` for those who
# attended a session (none yet for a new one) — or None: every block.
BLOCK_SOURCES: dict[str, str | None] = {
    "enterprises.Enterprise": "id",
    "enterprises.LedgerSpan": "enterprise_id",
    "cases.Case": "enterprise_id",
    "cases.CaseEvent": "case_id",
    "cases.Certificate": "case_id",
    "cases.Assessment": "case_id",
    "cases.Assessment_experts": None,
    "training.Attendance": "enterprise_id",
    "training.Session": "attendance",
    "agencies.AgencyAssignment": "enterprise_id",
    "accounts.Region": None,
    "accounts.DepartmentIndustry": None,
    "campaigns.Campaign": None,
}


def source_models() -> list[type[Model]]:
    """Every model whose table a dashboard figure may read."""
    found = [
        model
        for label in SOURCE_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    found += [apps.get_model(label) for label in SOURCE_MODELS]
    return [m for m in found if m._meta.label not in NOT_SOURCES and not m._meta.proxy]


def watched_columns(model: type[Model]) -> list[str] | None:
    """The columns whose change moves the version; None for all of them."""
    ignored = IGNORED_COLUMNS.get(model._meta.label)
    if not ignored:
        return None
    return [f.column for f in model._meta.concrete_fields if f.name not in ignored]


def data_version(using: str = "default") -> int:
    """The current version: one primary-key read.

    Inside a transaction on PostgreSQL the transaction's own writes are counted first (their
    deferred triggers fire now, and later writes bump again at commit): a reader that wrote
    sees its writes in the data, so its version must move too. Requests read in autocommit."""
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {TRIGGER}_current()")
            return cursor.fetchone()[0] or 0
    number = FigureVersion.objects.using(using).filter(pk=1).values_list("number", flat=True)
    return number.first() or 0


def versioned_tables() -> set[str]:
    """The tables whose writes move the version (every column but IGNORED_COLUMNS')."""
    return {model._meta.db_table for model in source_models()}


def unversioned_columns() -> set[str]:
    """The column names of IGNORED_COLUMNS, whose writes do not move the version."""
    return {
        apps.get_model(label)._meta.get_field(name).column
        for label, names in IGNORED_COLUMNS.items()
        for name in names
    }


def block_numbers(using: str = "default") -> dict[int, int]:
    """Each block's number (FigureBlock): one read of at most a few hundred rows."""
    return dict(FigureBlock.objects.using(using).values_list("block", "number"))


_BUMP = (
    "INSERT INTO campaigns_figureversion (id, number) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET number = campaigns_figureversion.number + 1"
)
_BUMP_BLOCK = (
    f"INSERT INTO {BLOCK_TABLE} (block, number) {{rows}} "
    f"ON CONFLICT (block) DO UPDATE SET number = {BLOCK_TABLE}.number + 1"
)


def bulk_enter(connection) -> None:
    """Switch this transaction's row triggers off (core/triggers.py, `bulk_insert`)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [_BULK])
        else:
            cursor.execute(
                f"INSERT INTO {VERSION_TABLE} (id, number) VALUES (%s, 0)",  # noqa: S608
                [BULK_MARKER_ID],
            )


def bulk_leave(connection, enterprises: set[int]) -> None:
    """Switch them on again, and raise the version and the blocks of `enterprises` once."""
    blocks = sorted({pk // BLOCK for pk in enterprises})
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, '', true)", [_BULK])
        else:
            cursor.execute(f"DELETE FROM {VERSION_TABLE} WHERE id = %s", [BULK_MARKER_ID])  # noqa: S608
        cursor.execute(_BUMP)
        if blocks:
            values = "VALUES " + ", ".join(["(%s, 1)"] * len(blocks))
            cursor.execute(_BUMP_BLOCK.format(rows=values), blocks)


def _blocks_of(model: type[Model], row: str) -> str | None:
    """A SELECT of the blocks (column `b`) of `row` (NEW or OLD) of `model`'s table, -1 for
    every block; None when the counts do not read the table."""
    label = model._meta.label
    if label not in BLOCK_SOURCES:
        return None
    column = BLOCK_SOURCES[label]
    if column is None:
        return f"SELECT {EVERY_BLOCK} AS b"
    if column == "attendance":
        return (
            f"SELECT DISTINCT a.enterprise_id / {BLOCK} AS b FROM training_attendance a "  # noqa: S608
            f'WHERE a.session_id = {row}."id" AND a.enterprise_id IS NOT NULL'
        )
    if column == "case_id":
        owner = f'(SELECT c.enterprise_id FROM cases_case c WHERE c.id = {row}."case_id")'  # noqa: S608
    else:
        owner = f'{row}."{column}"'
    return f"SELECT COALESCE({owner} / {BLOCK}, {EVERY_BLOCK}) AS b"


def _sqlite_statements(model: type[Model], table: str, columns: list[str] | None) -> list[str]:
    statements = []
    for op in ("INSERT", "UPDATE", "DELETE"):
        name = f"{TRIGGER}_{table}_{op.lower()}"
        # Not while a bulk writer in this transaction raises the numbers itself (bulk_insert).
        when = f"WHEN NOT EXISTS (SELECT 1 FROM {VERSION_TABLE} WHERE id = {BULK_MARKER_ID})"  # noqa: S608
        if op == "UPDATE" and columns is not None:
            changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
            when += f" AND ({changed})"
        body = f"{_BUMP};"
        rows = [
            _blocks_of(model, row)
            for row in {"INSERT": ["NEW"], "DELETE": ["OLD"]}.get(op, ["NEW", "OLD"])
        ]
        if rows[0] is not None:
            # UNION: a row that stays in its block raises it once. (WHERE true: SQLite's
            # upsert after a SELECT needs one.)
            picked = " UNION ".join(rows)
            picked = f"SELECT blocks.b, 1 FROM ({picked}) AS blocks WHERE true"  # noqa: S608
            body += f" {_BUMP_BLOCK.format(rows=picked)};"
        statements += [
            f'DROP TRIGGER IF EXISTS "{name}"',
            f'CREATE TRIGGER "{name}" AFTER {op} ON "{table}" FOR EACH ROW {when} BEGIN {body} END',
        ]
    return statements


_PG_FUNCTIONS = [
    # Once per transaction: the row lock is then taken once, at commit.
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{_GUARD}', true) IS DISTINCT FROM txid_current()::text THEN
    {_BUMP};
    PERFORM set_config('{_GUARD}', txid_current()::text, true);
  END IF;
  RETURN NULL;
END $$""",
    # The version as the calling transaction sees it, its own pending bumps fired first.
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_current() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('{_GUARD}', '', true);
  SET CONSTRAINTS {TRIGGER}, {TRIGGER}_update IMMEDIATE;
  SET CONSTRAINTS {TRIGGER}, {TRIGGER}_update DEFERRED;
  PERFORM set_config('{_GUARD}', '', true);
  RETURN (SELECT number FROM campaigns_figureversion WHERE id = 1);
END $$""",  # noqa: S608 - constants only
]


def _pg_block_function(model: type[Model], table: str) -> str | None:
    """The function raising, once per transaction, the version and then the blocks of a row
    of `table` (None when the counts do not read it). The version comes first, whatever
    trigger fires first: its row lock orders the writers."""
    new, old = _blocks_of(model, "NEW"), _blocks_of(model, "OLD")
    if new is None:
        return None
    return f"""CREATE OR REPLACE FUNCTION {TRIGGER}_block_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  tx text := txid_current()::text;
  seen text := current_setting('{_BLOCK_GUARD}', true);
  blocks bigint[];
  b bigint;
BEGIN
  IF current_setting('{_GUARD}', true) IS DISTINCT FROM tx THEN
    {_BUMP};
    PERFORM set_config('{_GUARD}', tx, true);
  END IF;
  IF TG_OP = 'TRUNCATE' THEN blocks := ARRAY[{EVERY_BLOCK}];
  ELSIF TG_OP = 'INSERT' THEN blocks := ARRAY({new});
  ELSIF TG_OP = 'DELETE' THEN blocks := ARRAY({old});
  ELSE blocks := ARRAY({new} UNION {old});
  END IF;
  IF seen IS NULL OR split_part(seen, ':', 1) <> tx THEN
    seen := tx || ':,';
  END IF;
  FOREACH b IN ARRAY blocks LOOP
    IF position(',' || b || ',' IN seen) = 0 THEN
      {_BUMP_BLOCK.format(rows="VALUES (b, 1)")};
      seen := seen || b || ',';
      PERFORM set_config('{_BLOCK_GUARD}', seen, true);
    END IF;
  END LOOP;
  RETURN NULL;
END $$"""  # noqa: S608 - constants only


def _pg_statements(model: type[Model], table: str, columns: list[str] | None) -> list[str]:
    # Not while a bulk writer in this transaction raises the numbers itself (bulk_insert). A
    # constraint trigger's WHEN is read as the row is written: no event is queued at all.
    bulk_off = f"current_setting('{_BULK}', true) IS DISTINCT FROM 'on'"
    when = f"WHEN ({bulk_off})"
    if columns is not None:
        changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in columns)
        when = f"WHEN ({bulk_off} AND ({changed}))"
    execute = f"EXECUTE FUNCTION {TRIGGER}_bump()"
    block_function = _pg_block_function(model, table)
    if block_function is not None:
        # The block's trigger raises the version too: one trigger a row, not two.
        execute = f"EXECUTE FUNCTION {TRIGGER}_block_{table}()"
    return [
        *([block_function] if block_function else []),
        f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"',
        f'DROP TRIGGER IF EXISTS {TRIGGER}_update ON "{table}"',
        f'DROP TRIGGER IF EXISTS {TRIGGER}_truncate ON "{table}"',
        f'CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR DELETE ON "{table}" '
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({bulk_off}) {execute}",
        f'CREATE CONSTRAINT TRIGGER {TRIGGER}_update AFTER UPDATE ON "{table}" '
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when} {execute}",
        f'CREATE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT {execute}",
    ]


def install(using: str = "default", **kwargs) -> None:
    """(Re)create the version triggers on every source table that exists (post_migrate)."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    tables = set(connection.introspection.table_names())
    if VERSION_TABLE not in tables:
        return
    statements = _PG_FUNCTIONS if connection.vendor == "postgresql" else []
    for model in source_models():
        table = model._meta.db_table
        if table in tables:
            build = _pg_statements if connection.vendor == "postgresql" else _sqlite_statements
            statements += build(model, table, watched_columns(model))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver (campaigns/apps.py): the triggers, and the cache table when the
    cache is the database's (PostgreSQL without Redis), so every `migrate` — setup, upgrade,
    CI — leaves both in place."""
    install(using)
    call_command("createcachetable", database=using, verbosity=0)


def tables_without_trigger(using: str = "default") -> list[str]:
    """Source tables that lack their trigger (checked by the tests)."""
    # SQLite: one trigger per table and kind of write; PostgreSQL: TRIGGER itself per table.
    sqlite = connections[using].vendor == "sqlite"
    found = triggers.installed(TRIGGER, using)
    covered = {table for table, name in found if sqlite or name == TRIGGER}
    return sorted({m._meta.db_table for m in source_models()} - covered)
