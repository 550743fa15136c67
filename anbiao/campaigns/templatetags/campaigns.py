from django import template

from anbiao.campaigns.metrics import display

register = template.Library()


@register.filter
def metric_value(value, key: str) -> str:
    """A metric as people read it: 52.3% for rates, a count otherwise, 不适用 for None."""
    return display(value, key)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def status_color(status: str) -> str:
    return {"met": "green", "on_track": "blue", "at_risk": "orange", "behind": "red"}.get(
        status, "secondary"
    )


@register.filter
def percent_of(value, total) -> int:
    """An integer 0–100 for progress bars."""
    if value is None or not total:
        return 0
    return max(0, min(100, round(float(value) / float(total) * 100)))
