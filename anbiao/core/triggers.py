"""Which of our database triggers are installed: the derived state kept by triggers
(campaigns/figure_version.py, cases/current_state.py) is checked by the tests to be complete."""

from django.db import connections


def installed(prefix: str, using: str = "default") -> set[tuple[str, str]]:
    """(table, trigger name) of every trigger whose name starts with `prefix`."""
    connection = connections[using]
    pattern = prefix.replace("_", r"\_") + "%"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master"
                " WHERE type = 'trigger' AND name LIKE %s ESCAPE '\\'",
                [pattern],
            )
        else:
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname LIKE %s ESCAPE '\\'",
                [pattern],
            )
        return {(table, name) for table, name in cursor.fetchall()}
