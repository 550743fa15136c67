"""`among("field", values)`: a filter on a long list of plain values (ids, codes), for the
imports' reads of hundreds of rows at once.

What `field__in=values` selects, without its cost at that size: Django prepares every value
through the field, and the PostgreSQL driver (binding on the client) then scans a statement of
hundreds of placeholders for each of them. On PostgreSQL the list goes as one array parameter
(`= ANY(%s)`, which the planner treats as the same IN); on SQLite, which has no arrays, as the
same IN list, with the values passed as they are."""

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db.models import F, Lookup


class Among(Lookup):
    """`lhs IN (values)` for values that need no conversion by the field (integers, text):
    they are passed to the driver as given."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        values = list(self.rhs)
        if not values:
            raise EmptyResultSet  # as `__in=[]`: no query is sent
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*params, values)
        marks = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({marks})", (*params, *values)


def among(name: str, values: Iterable) -> Among:
    """The condition "`name` is one of `values`", for `filter()` (`name` may span relations:
    "case__enterprise_id"). Keep `values` under SQLite's 999 parameters a query."""
    return Among(F(name), list(values))
