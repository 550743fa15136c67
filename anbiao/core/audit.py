"""The change log: service functions call `record` after a write, inside their transaction."""

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from anbiao.core.models import ChangeLog

# The address of the request being served (set by ClientAddressMiddleware); None in commands
# and background jobs, where the change has no client.
request_address: ContextVar[str | None] = ContextVar("request_address", default=None)


def display_value(instance: models.Model, field_name: str) -> str:
    """A field's value as a person reads it: choice labels, related names, 是/否, dates."""
    field = instance._meta.get_field(field_name)
    if isinstance(field, models.ManyToManyField):
        return "、".join(sorted(str(obj) for obj in getattr(instance, field_name).all()))
    value = getattr(instance, field_name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(instance, f"get_{field_name}_display")())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


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


def record(
    *,
    actor,
    action: str,
    instance: models.Model,
    changes: list[dict[str, str]] | None = None,
    enterprise=None,
    note: str = "",
) -> ChangeLog:
    """Append one change-log entry for `instance`."""
    return ChangeLog.objects.create(
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
