from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def sort_link(label: str, key: str, current: str, base_query: str):
    """A column header that sorts by `key`, toggling direction, with an arrow when active."""
    if current == key:
        target, arrow = f"-{key}", " ↑"
    elif current == f"-{key}":
        target, arrow = key, " ↓"
    else:
        target, arrow = key, ""
    query = f"{base_query}&ordering={target}" if base_query else f"ordering={target}"
    return format_html('<a href="?{}" class="table-sort-link">{}{}</a>', query, label, arrow)


@register.filter
def yes_no(value) -> str:
    return {True: "是", False: "否"}.get(value, "—")


@register.filter
def eligibility_label(value) -> str:
    return {True: "符合", False: "不符合"}.get(value, "待确认")


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (the lockout time on the locked-out page)."""
    return int(value.total_seconds() // 60) if value else 0


@register.filter
def chinese(value) -> str:
    """`value` when it is a Chinese message (ours), else "": error pages show our own reasons,
    never Django's English defaults such as "No Enterprise matches the given query"."""
    text = str(value or "")
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ""
