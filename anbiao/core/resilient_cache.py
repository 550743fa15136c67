"""The Redis cache, degraded to "nothing cached" while Redis is unreachable.

Everything anbiao keeps in the default cache can be computed again: the dashboard's figures
(their snapshots stay in the database) and the API's per-minute request counters. So when
Redis stops, a page should be slower, not fail: every read is a miss, every write is skipped,
and the error is logged once per `RETRY_SECONDS` instead of on every request. For that long
Redis is not asked again, so a server that is down (a connection that times out rather than
being refused) costs one timeout per period, not one per request. While Redis is down the API's
rate limit is not applied (its counters cannot be kept); docs/operations.md says so.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("anbiao.cache")

RETRY_SECONDS = 30
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that answers as an empty cache while Redis cannot be reached."""

    def __init__(self, server, params):
        params = dict(params)
        options = {"socket_connect_timeout": 1, "socket_timeout": 2}
        options.update(params.get("OPTIONS", {}))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, fallback, method, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return method(*args, **kwargs)
        except UNREACHABLE as exc:
            self._down_until = time.monotonic() + RETRY_SECONDS
            logger.warning(
                "Redis unreachable (%s); the cache is bypassed for %s s", exc, RETRY_SECONDS
            )
            return fallback

    def get(self, key, default=None, version=None):
        return self._call(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call(False, super().has_key, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().add, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call([], super().set_many, data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._call(None, super().delete_many, keys, version)

    def incr(self, key, delta=1, version=None):
        found = self._call(None, super().incr, key, delta, version)
        if found is None:  # as Django's caches do for a key they do not hold
            raise ValueError(f"Key '{key}' not found")
        return found

    def clear(self):
        return self._call(False, super().clear)
