"""Plain multi-row INSERTs for large imports. The ORM's bulk_create spends most of its time
compiling per-value SQL; for 100k-row ledgers we prepare values once per column type and hand
the rows to the driver: on PostgreSQL one `COPY … FROM STDIN` per call (psycopg 3's
`cursor.copy()`), elsewhere INSERTs of as many rows each as the parameter limit allows. Only
for append-only rows built by our own services: no model `save()`, signals or defaults run."""

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState

MEMO_SIZE = 4096
M = TypeVar("M", bound=models.Model)


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects that exist when a large import starts.

    An import allocates millions of short-lived tuples; every so many, Python's collector walks
    every object of the process (Django's ~350k) in a full collection — a fifth of a 10k ledger
    import's CPU. Frozen (`gc.freeze`), those are skipped; what the import allocates is still
    collected as usual, and `gc.unfreeze` hands the old objects back at the end. A process whose
    objects are frozen already (a server that froze them after start-up) is left as it is.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`convert`, remembering its results: an import's dates and timestamps repeat (one `now`,
    a few dozen dates), and Django's adapters cost microseconds each (time-zone checks)."""
    seen: dict[Any, Any] = {}

    def converted(value):
        try:
            return seen[value]
        except KeyError:
            if len(seen) >= MEMO_SIZE:
                seen.clear()
            result = seen[value] = convert(value)
            return result
        except TypeError:  # an unhashable value (a JSON list or dict)
            return convert(value)

    return converted


def _converter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` is prepared for the driver; None when it is passed as it is."""
    ops = connection.ops
    if isinstance(field, models.JSONField):
        # A new row's list of changes is empty: prepared once, not serialized for every row.
        empty = field.get_db_prep_save([], connection)
        return lambda v: empty if v == [] else field.get_db_prep_save(v, connection)
    if isinstance(field, models.DateTimeField):
        return _memo(lambda v: ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v)
    if isinstance(field, models.DateField):
        return _memo(lambda v: ops.adapt_datefield_value(v) if isinstance(v, date) else v)
    if isinstance(field, models.DecimalField):
        return lambda v: (
            ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
            if isinstance(v, Decimal)
            else v
        )
    return None


def adapter(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    """How `insert_rows` prepares a value of `model`'s field `name` for the driver (a value the
    driver takes as it is comes back unchanged). For a caller that writes the same few dates
    in every row: it prepares each once and hands `insert_rows` rows already prepared."""
    return _converter(model._meta.get_field(name)) or _unchanged


def _unchanged(value: Any) -> Any:
    return value


def _prepared(rows: Iterable[Sequence[Any]], width: int, convert: list) -> Iterable[Sequence[Any]]:
    for row in rows:
        if len(row) != width:
            raise ValueError(f"{len(row)} values for {width} columns")
        if convert:
            row = list(row)
            for i, c in convert:
                row[i] = c(row[i])
        yield row


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch_size: int = 2000,
    *,
    prepared: bool = False,
) -> int:
    """INSERT `rows` (tuples in the order of `fields`; ForeignKeys as ids) into `model`'s table.
    With `prepared`, every value is already as the driver takes it (see `adapter`)."""
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(f.column) for f in model_fields)
    # Only the columns that need it are converted: calling a converter for every value costs
    # as much as the INSERT itself on a 100k-row import (and the write lock is held meanwhile).
    convert = (
        []
        if prepared
        else [(i, c) for i, f in enumerate(model_fields) if (c := _converter(f)) is not None]
    )
    ready = _prepared(rows, len(model_fields), convert)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one statement: no per-row parse, plan or round trip. It
            # runs on the driver's cursor: its errors are raised as Django's, as on SQLite.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in ready:
                    copy.write_row(row)
                    count += 1
            return count
        # Multi-row VALUES (as many rows as the parameter limit allows): SQLite runs one
        # statement of a hundred rows about 40 % faster than `executemany` of the row's.
        # On SQLite the statements go to the driver's own cursor with its `?` marks: Django's
        # rewrites every statement's ~1,000 `%s` marks by a regex, a sixteenth of a 100k
        # ledger import. Errors are still raised as Django's (`wrap_database_errors`).
        mark, execute = "%s", cursor.execute
        if connection.vendor == "sqlite":
            mark, execute = "?", connection.connection.cursor().execute
        one = "(" + ", ".join([mark] * len(model_fields)) + ")"
        per = max(1, min(batch_size, connection.features.max_query_params // len(model_fields)))
        full = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * per)}"  # noqa: S608
        batch: list = []
        with connection.wrap_database_errors:
            for row in ready:
                batch += row
                count += 1
                if count % per == 0:
                    execute(full, batch)
                    batch = []
            if batch:
                rest = len(batch) // len(model_fields)
                sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * rest)}"  # noqa: S608
                execute(sql, batch)
    return count


def insert_objects(objects: Sequence[models.Model], batch_size: int = 2000) -> int:
    """INSERT unsaved model instances (all concrete fields but the primary key). Fields with
    auto_now/auto_now_add are stamped now; instances do not get their primary keys back."""
    if not objects:
        return 0
    from django.utils import timezone

    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    now = timezone.now()
    for obj in objects:
        for field in stamped:
            if getattr(obj, field.attname) is None:
                setattr(obj, field.attname, now)
    rows = (tuple(getattr(obj, f.attname) for f in fields) for obj in objects)
    return insert_rows(model, [f.name for f in fields], rows, batch_size)


@cache
def _blank(model: type[models.Model]) -> tuple[dict, tuple, dict]:
    """What a new `model` instance holds before any value is given: the fixed defaults by
    attribute name, the callable defaults (called for each instance) and relation name →
    attribute name."""
    fixed, called, relations = {}, [], {}
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            called.append((field.attname, field.default))
        else:
            fixed[field.attname] = field.get_default()
        if field.is_relation:
            relations[field.name] = field.attname
    return fixed, tuple(called), relations


def unsaved(model: type[M], **values: Any) -> M:
    """A new, unsaved instance of `model`, as `model(**values)` makes it (defaults filled in,
    a related object given by name cached and its key set), without `Model.__init__`'s work
    per field: an import plans tens of thousands of rows, and `__init__` was a sixth of its
    time. For models without pre/post-init signal receivers (none of ours has one)."""
    fixed, called, relations = _blank(model)
    obj = model.__new__(model)
    state = obj._state = ModelState()
    attrs = obj.__dict__
    attrs.update(fixed)
    for attname, default in called:
        attrs[attname] = default()
    for name, value in values.items():
        attname = relations.get(name)
        if attname is None:
            attrs[name] = value
        else:
            attrs[attname] = None if value is None else value.pk
            state.fields_cache[name] = value
    return obj
