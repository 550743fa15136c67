"""The dashboard's figures, kept between requests. A value is keyed by the campaign, the asking
user's scope, the area, the date and the data version of `figure_version.py`, which moves
exactly when a figure can change; so a cached value is never stale and a write that changes no
figure (notification settings, an enterprise's phone number) keeps every page cached.

The cache is Django's default cache: Redis when `ANBIAO_CACHE_URL` is set, the database cache on
PostgreSQL otherwise (both shared by every server process), per process on SQLite
(docs/configuration.md).

The page caches its parts (metrics and targets, series, extras, supervision) whole, under one
key (`page_store`); printouts and reports cache them part by part (`CachedMetrics`). A small
scope computes a missing page in the request. A scope of more than
`ANBIAO_DASHBOARD_INLINE_ENTERPRISES` enterprises takes seconds to compute, longer than a page
may take: its page is served from the parts the worker computed. When the version has moved
since, the page shows the last parts with their time and the worker is asked, once, to compute
the current ones (`request_refresh`); with no parts at all yet the page says that they are being
computed (`FiguresPending`). The last parts of each page live in the database
(`DashboardSnapshot`), so every process and the worker see them whatever the cache.
"""

import pickle
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from anbiao.accounts.scope import scope_key
from anbiao.campaigns.figure_version import data_version
from anbiao.campaigns.metrics import Scope
from anbiao.campaigns.models import DashboardSnapshot

TIMEOUT = 6 * 3600
# A refresh asked for longer ago than this is asked again (the worker may have been restarted).
REQUEST_TIMEOUT = timedelta(minutes=10)


class FiguresPending(Exception):
    """A large scope's figures have never been computed; the worker is computing them."""


def page_key(user_key: str, scope: Scope) -> str:
    """The key of one dashboard without its data version."""
    return f"dash:{scope.campaign.pk}:{user_key}:{scope.area.pk}:{scope.on.isoformat()}"


class CachedMetrics:
    """Call `get(kind, scope, compute)`; the version is read once per instance (per page)."""

    computed_at: datetime | None = None
    refreshing = False

    def __init__(self, user, version: int | None = None):
        self.user_key = scope_key(user)
        self.version = data_version() if version is None else version

    def get(self, kind: str, scope: Scope, compute: Callable[[Scope], Any]) -> Any:
        key = f"metrics:{kind}:{page_key(self.user_key, scope)}:{self.version}"
        value = cache.get(key)
        if value is None:
            value = compute(scope)
            cache.set(key, value, TIMEOUT)
        return value


class PartsStore:
    """Serves a page from the parts computed together for it (see `page_store`); `on` is the
    date they are for (yesterday's, on the first visit of a day)."""

    def __init__(self, parts: dict, computed_at: datetime | None, refreshing: bool, on=None):
        self.parts = parts
        self.computed_at = computed_at
        self.refreshing = refreshing
        self.on = on

    def get(self, kind: str, scope: Scope, compute: Callable[[Scope], Any]) -> Any:
        if kind not in self.parts:  # a target added since the parts were computed
            self.parts[kind] = compute(scope)
        return self.parts[kind]


class RecordingStore:
    """Computes every part of a page and keeps them; `done()` hands them to `save` (a small
    scope's page caches them whole; the worker keeps them with `save_parts`)."""

    computed_at: datetime | None = None
    refreshing = False

    def __init__(self, save: Callable[[dict], Any] | None = None):
        self.parts: dict = {}
        self.save = save

    def get(self, kind: str, scope: Scope, compute: Callable[[Scope], Any]) -> Any:
        self.parts[kind] = compute(scope)
        return self.parts[kind]

    def done(self) -> None:
        if self.save is not None:
            self.save(self.parts)


def snapshot_key(user_key: str, scope: Scope) -> str:
    """The key of a page's snapshot: today's page is "today", so that on a new day its first
    visit still finds the last figures (as of yesterday, and labelled so)."""
    if scope.on == timezone.localdate():
        return page_key(user_key, scope).rsplit(":", 1)[0] + ":today"
    return page_key(user_key, scope)


def page_store(user, scope: Scope, refresh: Callable[[], Any] | None = None):
    """Where a dashboard's figures come from. Without `refresh` (printouts, reports): computed
    inline and cached per part. The page: its parts, cached whole, at the current version when
    they exist; else a small scope computes them inline, and a large one shows its last parts
    while `refresh()` queues the computation of the current ones."""
    store = CachedMetrics(user)
    if refresh is None:
        return store
    key, version = page_key(store.user_key, scope), store.version
    found = cache.get(f"{key}:{version}")
    if found is not None:
        return PartsStore(dict(found[0]), found[1], refreshing=False)
    size = scope.enterprises.filter(region__path__startswith=scope.area.path).count()
    if size <= settings.ANBIAO_DASHBOARD_INLINE_ENTERPRISES:
        return RecordingStore(lambda parts: cache.set(f"{key}:{version}", (parts, None), TIMEOUT))
    skey = snapshot_key(store.user_key, scope)
    snapshot = DashboardSnapshot.objects.filter(key=skey).first()
    if not _is_current(snapshot, version, scope) and request_refresh(
        skey, f"{version}@{scope.on.isoformat()}", snapshot
    ):
        refresh()
        snapshot = DashboardSnapshot.objects.filter(key=skey).first()  # an immediate backend
    if snapshot is None or snapshot.parts is None:
        raise FiguresPending
    parts = pickle.loads(snapshot.parts)  # noqa: S301 - written by our worker, like the cache
    if _is_current(snapshot, version, scope):
        cache.set(f"{key}:{version}", (parts, snapshot.computed_at), TIMEOUT)
        return PartsStore(parts, snapshot.computed_at, refreshing=False)
    return PartsStore(parts, snapshot.computed_at, refreshing=True, on=snapshot.on)


def _is_current(snapshot: DashboardSnapshot | None, version: int, scope: Scope) -> bool:
    return (
        snapshot is not None
        and snapshot.parts is not None
        and (snapshot.version, snapshot.on) == (version, scope.on)
    )


def request_refresh(key: str, requested: str, snapshot: DashboardSnapshot | None) -> bool:
    """Claim the refresh of one page at `requested` ("version@date"); True when the caller
    must queue it (no one asked for the same in the last REQUEST_TIMEOUT)."""
    now = timezone.now()
    if (
        snapshot is not None
        and snapshot.requested == requested
        and snapshot.requested_at > now - REQUEST_TIMEOUT
    ):
        return False  # asked already: no write for each visit while the worker computes
    if snapshot is None:
        try:
            with transaction.atomic():
                DashboardSnapshot.objects.create(key=key, requested=requested, requested_at=now)
            return True
        except IntegrityError:  # another request created it just now
            pass
    asked = Q(requested=requested, requested_at__gt=now - REQUEST_TIMEOUT)
    claimed = (
        DashboardSnapshot.objects.filter(key=key)
        .exclude(asked)
        .update(requested=requested, requested_at=now)
    )
    return claimed > 0


def save_parts(user, scope: Scope, version: int, parts: dict) -> None:
    """Keep the parts computed at `version` for one page, in the cache and as its snapshot
    (unless one as new, or for a later date, was saved meanwhile)."""
    user_key = scope_key(user)
    computed_at = timezone.now()
    cache.set(f"{page_key(user_key, scope)}:{version}", (parts, computed_at), TIMEOUT)
    key = snapshot_key(user_key, scope)
    blob = pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)
    newer = Q(on__gt=scope.on) | Q(on=scope.on, version__gte=version)
    saved = (
        DashboardSnapshot.objects.filter(key=key)
        .exclude(newer)
        .update(on=scope.on, version=version, computed_at=computed_at, parts=blob)
    )
    if not saved and not DashboardSnapshot.objects.filter(key=key).exists():
        try:
            with transaction.atomic():
                DashboardSnapshot.objects.create(
                    key=key, on=scope.on, version=version, computed_at=computed_at, parts=blob
                )
        except IntegrityError:  # saved by a concurrent refresh
            pass
