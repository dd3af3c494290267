"""flask-caching's RedisCache behind the shared store's breaker: a Redis failure is a miss.

The brief caches (cold lookups, ticket and invoice listings) are accelerators: when Redis is
down or hung they answer "not cached" at once — the caller asks WispHub instead — rather than
raising on every request or waiting for a socket timeout each time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask
from flask_caching.backends.rediscache import RedisCache

from wisphub_api.state.base import SharedStateUnavailable
from wisphub_api.state.guard import Guarded

T = TypeVar("T")

STATE_KEY = "wisphub_api.state"


class GuardedRedisCache(RedisCache):
    """A RedisCache on the app's shared Redis client whose calls go through its breaker."""

    def __init__(self, guard: Guarded, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard = guard

    @classmethod
    def factory(
        cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]
    ) -> GuardedRedisCache:
        """Build the cache on the Redis client and breaker of ``app``'s shared state."""
        state = app.extensions[STATE_KEY]
        return cls(
            state.store,
            host=state.redis,
            key_prefix=config.get("CACHE_KEY_PREFIX") or "",
            default_timeout=config.get("CACHE_DEFAULT_TIMEOUT", 300),
        )

    def _guarded(self, call: Callable[[], T], default: T) -> T:
        try:
            return self._guard.call(lambda _store: call())
        except SharedStateUnavailable:
            return default

    def get(self, key: str) -> Any:
        """Return the cached value, or None (also when Redis is unreachable)."""
        return self._guarded(lambda: super(GuardedRedisCache, self).get(key), None)

    def get_many(self, *keys: str) -> list[Any]:
        """Return the cached values, None for each miss."""
        return self._guarded(
            lambda: super(GuardedRedisCache, self).get_many(*keys), [None] * len(keys)
        )

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        """Cache a value; False when Redis is unreachable."""
        return self._guarded(lambda: super(GuardedRedisCache, self).set(key, value, timeout), False)

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        """Cache a value unless present; False when Redis is unreachable."""
        return self._guarded(lambda: super(GuardedRedisCache, self).add(key, value, timeout), False)

    def delete(self, key: str) -> Any:
        """Forget a value; False when Redis is unreachable."""
        return self._guarded(lambda: super(GuardedRedisCache, self).delete(key), False)

    def delete_many(self, *keys: str) -> Any:
        """Forget values; an empty list when Redis is unreachable."""
        return self._guarded(lambda: super(GuardedRedisCache, self).delete_many(*keys), [])

    def has(self, key: str) -> Any:
        """Tell whether a value is cached; False when Redis is unreachable."""
        return self._guarded(lambda: super(GuardedRedisCache, self).has(key), False)
