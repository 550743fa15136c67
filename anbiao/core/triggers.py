"""Our database triggers: which are installed (the derived state kept by triggers,
campaigns/figure_version.py and cases/current_state.py, is checked by the tests to be complete),
and `bulk_insert`, under which a bulk writer's rows skip the row triggers' work."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connections

_bulk_receivers: list[tuple[Callable, Callable]] = []


def register_bulk_insert(enter: Callable, leave: Callable) -> None:
    """Called by an app whose row triggers keep derived state (campaigns: the figure version):
    `enter(connection)` switches them off for the transaction, `leave(connection, enterprises)`
    switches them on and does their work once for the enterprises written."""
    if (enter, leave) not in _bulk_receivers:
        _bulk_receivers.append((enter, leave))


@contextmanager
def bulk_insert(using: str = "default") -> Iterator[set[int]]:
    """Rows inserted inside this block do not each run the row triggers' work; on leaving it,
    that work is done once for the enterprises whose ids the caller added to the set it is
    given (campaigns/figure_version.py: the version and the enterprises' blocks raised once).
    Every row inserted inside into a table the triggers watch must belong to one of them. For
    inserts only (an update or delete inside would skip its triggers too).

    It needs a transaction, whose own the switch is: no other connection's writes skip their
    triggers, and a rollback undoes it. On PostgreSQL leaving it takes the row locks that the
    deferred triggers take only at commit: make it the transaction's last writes, so those locks
    are not held while the transaction goes on to wait for other rows.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_insert needs a transaction: its switch lasts until the commit")
    for enter, _leave in _bulk_receivers:
        enter(connection)
    enterprises: set[int] = set()
    yield enterprises  # an exception leaves the switch to the transaction's rollback
    for _enter, leave in _bulk_receivers:
        leave(connection, enterprises)


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
