"""Checking an import by trying it, without keeping the write lock.

Some import kinds can only tell whether a row would be accepted by running it through the
service that records it (the survey import tries each row through the survey services; the
progress import did too, and now replays its file in memory by `anbiao/cases/steps.py`).
Trying them all in one transaction that is rolled back would hold the database's write lock
for the whole check — on SQLite nobody else could log in or save anything for as long as that
takes (minutes, for tens of thousands of rows). So the groups of rows are tried in short
transactions, each rolled back after about `ANBIAO_IMPORT_CHECK_BATCH_MS` (default 500 ms):
other writers wait at most that long between two of them (well inside SQLite's busy timeout).

This is only right when the groups are independent — what one group writes, no other group's
rows depend on (a survey import's groups are its rows; a USCC twice in the file is caught in
memory before). See docs/import-ledger.md.
"""

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.db import transaction

T = TypeVar("T")
_END = object()


def try_in_rolled_back_batches(
    groups: Iterable[T], attempt: Callable[[T], None], *, seconds: float | None = None
) -> int:
    """Call `attempt(group)` for every group inside transactions of about `seconds` each, every
    one rolled back, so nothing is written. Returns the number of transactions used."""
    if seconds is None:
        seconds = settings.ANBIAO_IMPORT_CHECK_BATCH_MS / 1000
    pending = iter(groups)
    following = next(pending, _END)
    batches = 0
    while batches == 0 or following is not _END:
        with transaction.atomic():
            batches += 1
            started = time.monotonic()
            while following is not _END:
                attempt(following)
                following = next(pending, _END)
                if time.monotonic() - started >= seconds:
                    break
            transaction.set_rollback(True)
    return batches
