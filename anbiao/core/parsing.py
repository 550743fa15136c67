"""Defensive reading of query and form values: whatever a user (or a probe) types into a URL,
a view gets a value inside the range the database and the date arithmetic can hold, or None —
never an exception that becomes a 500 page.

The form fields below do the same for bound forms: each refuses an out-of-range value with a
Chinese message naming the field's range, so the user sees a form error instead.
"""

import math
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# Dates the business can mean: anything earlier or later is a typo (or an attack) and would
# overflow date arithmetic (a year of 9999 plus a month) or make a 24-point series meaningless.
MIN_DATE = date(1950, 1, 1)
MAX_DATE = date(2099, 12, 31)
# The widest integer every supported database stores (a signed 64-bit column).
MIN_INT = -(2**63)
MAX_INT = 2**63 - 1
MAX_ID = MAX_INT  # primary keys are BigAutoField


def parse_date(value, default=None, *, low: date = MIN_DATE, high: date = MAX_DATE):
    """An ISO date (YYYY-MM-DD) within [low, high], else `default`."""
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value or "").strip())
        except ValueError:
            return default
    return parsed if low <= parsed <= high else default


def parse_int(value, default=None, *, low: int = MIN_INT, high: int = MAX_INT):
    """A whole number within [low, high] (the column's range), else `default`."""
    text = str(value if value is not None else "").strip()
    if not text or len(text) > 25:
        return default
    try:
        number = int(text)
    except ValueError:
        return default
    return number if low <= number <= high else default


def parse_id(value, default=None):
    """A primary key as typed in a query string (?agency=…): a positive 64-bit integer."""
    return parse_int(value, default, low=1, high=MAX_ID)


def parse_decimal(value, default=None, *, low=None, high=None, max_digits: int = 20):
    """A finite decimal (no inf, nan or 1e400) within [low, high], else `default`."""
    text = str(value if value is not None else "").strip()
    if not text or len(text) > 40:
        return default
    try:
        number = Decimal(text)
    except InvalidOperation:
        return default
    if not number.is_finite() or abs(number.adjusted()) >= max_digits:
        return default
    if (low is not None and number < low) or (high is not None and number > high):
        return default
    return number


def parse_float(value, default=None, *, low: float | None = None, high: float | None = None):
    """A finite float within [low, high], else `default`."""
    number = parse_decimal(value, None)
    if number is None:
        return default
    result = float(number)
    if not math.isfinite(result):
        return default
    if (low is not None and result < low) or (high is not None and result > high):
        return default
    return result


def parse_choice(value, choices, default=""):
    """`value` when it is one of `choices` (values or (value, label) pairs), else `default`."""
    allowed = {c[0] if isinstance(c, tuple | list) else c for c in choices}
    return value if value in allowed else default


class SaneDateField(forms.DateField):
    """A DateField that refuses dates outside MIN_DATE..MAX_DATE with a clear message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = f"请输入 {MIN_DATE.year} 年至 {MAX_DATE.year} 年之间的日期"
        self.validators += [
            MinValueValidator(MIN_DATE, message=message),
            MaxValueValidator(MAX_DATE, message=message),
        ]


class SaneIntegerField(forms.IntegerField):
    """An IntegerField bounded by the 64-bit column range unless narrower bounds are given."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", MIN_INT)
        kwargs.setdefault("max_value", MAX_INT)
        super().__init__(*args, **kwargs)
