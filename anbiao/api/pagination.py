"""Cursor pagination and incremental sync for the API's lists.

Rows come in ascending id order; `next_cursor` is an opaque string naming the last id sent, so
a page never shifts when rows are added meanwhile. With `updated_since` (or the header
If-Modified-Since) only rows changed at or after that time are listed: a client records the time
it starts a sync, pages through with the cursor, and passes that time next time.
"""

import base64
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils.http import parse_http_date_safe

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "id" and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationError({"cursor": "分页游标无效,请使用上一页返回的 next_cursor"}, code="invalid")


def changed_since(request, updated_since: datetime | None) -> datetime | None:
    """`updated_since`, else the If-Modified-Since header, else None."""
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise ValidationError({"updated_since": "须带时区,如 2025-06-30T08:00:00+08:00"})
        # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 (and Python) allow.
        try:
            return updated_since.astimezone(UTC)
        except OverflowError:
            raise ValidationError({"updated_since": "时间超出可用范围"}) from None
    header = request.headers.get("If-Modified-Since")
    if header:
        seconds = parse_http_date_safe(header)
        if seconds is None:
            raise ValidationError({"If-Modified-Since": "不是有效的HTTP日期"})
        return datetime.fromtimestamp(seconds, tz=UTC)
    return None


def page(queryset, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `queryset` after the cursor, and the cursor of the next page (or None)."""
    after = decode_cursor(cursor)
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[: limit + 1])
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1].pk)
    return rows, None
