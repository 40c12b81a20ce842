"""Caching that a Redis outage cannot turn into an outage of the API (ADR 0015).

Two kinds of use, two rules:

- Cached reads (`cached()`): the "default" cache ignores Redis errors (IGNORE_EXCEPTIONS), so a
  failed read is a miss and the value is computed from the database; a failed write is
  dropped. Every lookup is counted by cache name and result in /metrics.
- Security counters (`counters()`, the login lockout): a silently dropped increment would
  switch the lockout off for the outage. They use the "counters" alias, which raises, and fall
  back to this process's memory when it does: the lockout keeps working per process (weaker
  across processes, never off).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from prometheus_client import Counter

logger = logging.getLogger("cliqserve.cache")

T = TypeVar("T")

CACHE_REQUESTS = Counter(
    "cliqserve_cache_requests_total",
    "Cached reads by cache name and result (hit, miss).",
    ["cache", "result"],
)

# A sentinel rather than None: None is a value worth caching (an empty answer is not).
_MISSING = object()


def cached(name: str, key: str, compute: Callable[[], T], *, timeout: int) -> T:
    """The value at `key` from the default cache, else `compute()` stored there. `name` labels
    the hit/miss counters. Keys carry a version, so entries are never invalidated in place:
    a write moves readers to a new key and the old entry expires."""
    cache = caches["default"]
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        CACHE_REQUESTS.labels(cache=name, result="hit").inc()
        return cast("T", value)  # whatever compute() stored under this key
    CACHE_REQUESTS.labels(cache=name, result="miss").inc()
    value = compute()
    cache.set(key, value, timeout=timeout)
    return value


class _CountersWithFallback:
    """The "counters" cache; this process's memory while it raises."""

    _METHODS = frozenset({"get", "set", "add", "incr", "delete", "delete_many", "set_many", "get_many"})

    def __init__(self) -> None:
        self._local = LocMemCache("cliqserve-counters-fallback", {})

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in self._METHODS:
            raise AttributeError(name)
        # A configuration with one cache (an override, a test) counts in that one.
        primary: BaseCache = caches["counters" if "counters" in settings.CACHES else "default"]

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(primary, name)(*args, **kwargs)
            except ValueError:  # incr of a missing key: the caller's business, not an outage
                raise
            except Exception:  # any failure of the store means "use the fallback"
                logger.warning("counter store unavailable: counting in this process", exc_info=True)
                return getattr(self._local, name)(*args, **kwargs)

        return call


_counters = _CountersWithFallback()


def clear_fallback_counters() -> None:
    """Forget what this process counted while Redis failed (tests)."""
    _counters._local.clear()


def counters() -> Any:
    """The store of security counters: Redis, or this process's memory while Redis fails."""
    return _counters
