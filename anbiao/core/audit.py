"""The change log: service functions call `record` after a write, inside their transaction."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from anbiao.core.models import ChangeLog

# The address of the request being served (set by ClientAddressMiddleware); None in commands
# and background jobs, where the change has no client.
request_address: ContextVar[str | None] = ContextVar("request_address", default=None)
# Where a change comes from when it is not a person at a form: "导入第 12 号", "演示数据". A
# creation names its source in the log, so "新建 · 系统" never stands alone.
change_source: ContextVar[str | None] = ContextVar("change_source", default=None)


@contextmanager
def source(text: str) -> Iterator[None]:
    """Mark every change written inside the block as coming from `text`."""
    token = change_source.set(text)
    try:
        yield
    finally:
        change_source.reset(token)


def source_label() -> str:
    """The source of the change being written: the marked one, else 手工录入 for a request."""
    marked = change_source.get()
    if marked:
        return marked
    return "手工录入" if request_address.get() is not None else ""


def with_source(note: str = "") -> str:
    """`note` followed by where the change came from ("台账导入;来源:导入第 12 号"), for the
    writes that build change-log rows in bulk instead of through `record`."""
    origin = source_label()
    if not origin:
        return note
    return f"{note};来源:{origin}" if note else f"来源:{origin}"


def display_value(instance: models.Model, field_name: str) -> str:
    """A field's value as a person reads it: choice labels, related names, 是/否, dates."""
    field = instance._meta.get_field(field_name)
    if isinstance(field, models.ManyToManyField):
        return "、".join(sorted(str(obj) for obj in getattr(instance, field_name).all()))
    value = getattr(instance, field_name)
    if value is None or value == "":
        return ""
    # A code whose labels live outside the field (a grade code → 二级) names its own label.
    label = getattr(instance, f"get_{field_name}_label", None)
    if callable(label):
        return str(label())
    if field.choices:
        return str(getattr(instance, f"get_{field_name}_display")())
    return plain_display(value)


def plain_display(value) -> str:
    """A value without choices or a label of its own, as a person reads it."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


class Differ:
    """`snapshot` and `diff` for many rows of one model, from plain values: the fields' labels
    and choice names are looked up once (the progress import writes a case's change-log entry
    for every step of thousands of cases). Gives exactly what `snapshot` and `diff` give, for
    fields without a `get_<name>_label` and not many-to-many."""

    def __init__(self, model: type[models.Model], fields: Iterable[str]) -> None:
        self.fields = []
        for name in fields:
            field = model._meta.get_field(name)
            if field.many_to_many or hasattr(model, f"get_{name}_label"):
                raise ValueError(f"{name}: use snapshot and diff")
            choices = {k: str(v) for k, v in field.flatchoices} if field.choices else None
            self.fields.append((name, str(field.verbose_name), choices))

    def readable(self, values: dict) -> dict[str, str]:
        """The readable values of the fields, from their raw values."""
        shown = {}
        for name, _, choices in self.fields:
            value = values[name]
            if value is None or value == "":
                shown[name] = ""
            elif choices is not None:
                shown[name] = choices.get(value, str(value))
            else:
                shown[name] = plain_display(value)
        return shown

    def diff(self, before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
        """As `diff`: the fields whose readable value changed, in the order of the fields."""
        return [
            {"field": name, "label": label, "old": before[name], "new": after[name]}
            for name, label, _ in self.fields
            if before[name] != after[name]
        ]


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, str]:
    """Readable values of `fields`, taken before a change to diff against afterwards."""
    return {name: display_value(instance, name) for name in fields}


def diff(instance: models.Model, before: dict[str, str]) -> list[dict[str, str]]:
    """Fields whose readable value differs from `before`, as [{field, label, old, new}]."""
    changes = []
    for name, old in before.items():
        new = display_value(instance, name)
        if new != old:
            label = str(instance._meta.get_field(name).verbose_name)
            changes.append({"field": name, "label": label, "old": old, "new": new})
    return changes


# The change log's columns as the bulk writers give them (the progress and ledger imports build
# rows of these values and INSERT them in one statement; `entry` builds the same as a model).
LOG_COLUMNS = (
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "enterprise",
    "changes",
    "note",
    "ip_address",
)


def entry(
    *,
    actor,
    action: str,
    instance: models.Model,
    changes: list[dict[str, str]] | None = None,
    enterprise=None,
    note: str = "",
) -> ChangeLog:
    """One change-log entry for `instance`, not saved: `record` saves it, a bulk writer (the
    progress import) saves a batch of them with one INSERT."""
    if action == ChangeLog.Action.CREATE:
        note = with_source(note)
    return ChangeLog(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        enterprise=enterprise,
        changes=changes or [],
        note=note[:200],
        ip_address=request_address.get(),
    )


def record(
    *,
    actor,
    action: str,
    instance: models.Model,
    changes: list[dict[str, str]] | None = None,
    enterprise=None,
    note: str = "",
) -> ChangeLog:
    """Append one change-log entry for `instance`; a creation notes where it came from."""
    log = entry(
        actor=actor,
        action=action,
        instance=instance,
        changes=changes,
        enterprise=enterprise,
        note=note,
    )
    log.save()
    return log
