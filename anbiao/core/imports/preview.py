"""What a checked import would change beyond its own rows, told without writing.

A check (a dry run) already knows what confirming it would write: the ledger import the facts of
each new or changed enterprise, the progress import the case events and certificates. Those that
may move a figure of the campaign report them here, a batch at a time, as `PlannedChange`s; the
preview checks registered in `registry.register_preview_check` (the filings' "figures already
filed would change", anbiao/filings/changes.py) observe them while the check runs. Nothing is
kept when no check observes, so a check with no standing filings costs nothing more.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date


@dataclass
class PlannedChange:
    """What an import would record about one enterprise (`enterprise_id` None: it would create
    it); one per enterprise in a report, and an enterprise in one report only. `facts`: the dated
    ledger facts it would add, as (kind, value, effective_on), in entry order; `industry`: its
    industry once imported; `events`: the case steps it would add, as (kind, on);
    `certificates`: all its certificates once imported, as (pk, issued_on, expires_on, ended_on,
    void) — None when the import leaves them as they are; `attended`: the trainings its people
    would have attended, as (role, held_on)."""

    enterprise_id: int | None
    industry: str | None = None
    facts: list[tuple[str, str, date]] = field(default_factory=list)
    events: list[tuple[str, date]] = field(default_factory=list)
    certificates: list[tuple] | None = None
    attended: list[tuple[str, date]] = field(default_factory=list)


_observers: ContextVar[tuple] = ContextVar("import_preview_observers", default=())


@contextmanager
def observing(observers: Iterable) -> Iterator[None]:
    """Let `observers` (each with `observe(changes)`) see what the checks run inside report."""
    token = _observers.set(tuple(observers))
    try:
        yield
    finally:
        _observers.reset(token)


def observed() -> bool:
    """Is anyone observing? (A runner may skip building what nobody reads.)"""
    return bool(_observers.get())


def report(changes: list[PlannedChange]) -> None:
    """A dry run tells what it would change (one batch of enterprises)."""
    for observer in _observers.get():
        observer.observe(changes)
