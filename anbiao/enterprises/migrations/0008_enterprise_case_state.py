from django.db import migrations, models

INDEX = "enterprise_case_state_idx"


def create_index(apps, schema_editor):
    # The case board counts every enterprise in scope by region and current state
    # (cases/selectors.board_tally): on PostgreSQL an index-only scan of this small index
    # (21 ms at 100k by hand, against 73 ms for a scan of the table). The state leads: with
    # the region first the planner also took it for the enterprise list's `region_id = X`
    # reads, which then visited the table once per state (its filtered count 31-53 ms
    # against 16-19 ms). Not on SQLite: without statistics (nothing runs ANALYZE there) its
    # planner takes any index on the region as readily as (region, name_pinyin, id) or
    # (region, status), and the list's filters and searches took 40-80 % more CPU; with the
    # state first it did not use it for the count either.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON enterprises_enterprise (case_state, region_id)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


# The triggers that keep the column (anbiao/cases/current_state.py, installed after migrate).
TRIGGERS = {
    "anbiao_case_state_insert": "cases_case",
    "anbiao_case_state_update": "cases_case",
    "anbiao_case_state_delete": "cases_case",
    "anbiao_case_state_sync": "cases_case",
    "anbiao_case_state_sync_update": "cases_case",
    "anbiao_case_state_guard": "enterprises_enterprise",
    "anbiao_case_state_guard_insert": "enterprises_enterprise",
    "anbiao_case_state_guard_update": "enterprises_enterprise",
}


def drop_triggers(apps, schema_editor):
    # Migrating back: the triggers name the column, so it cannot be dropped (SQLite) or every
    # later write of a case would fail (PostgreSQL).
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table in TRIGGERS.items():
        on = f' ON "{table}"' if postgresql else ""
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"{on}')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_must_change_password"),
        ("enterprises", "0007_page_indexes"),
    ]

    operations = [
        # The state of the enterprise's current case, kept by the triggers of
        # anbiao/cases/current_state.py, which also fill it in after this migration (they are
        # installed, and every enterprise's state computed, after each migrate).
        migrations.AddField(
            model_name="enterprise",
            name="case_state",
            field=models.CharField(
                db_default="not_started",
                default="not_started",
                editable=False,
                max_length=16,
                verbose_name="创建状态",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_triggers, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
