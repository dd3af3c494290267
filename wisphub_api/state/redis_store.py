"""The shared store of a deployment: Redis, reached with short timeouts from a bounded pool.

Under gevent every greenlet of a worker may want a connection at once; a ``BlockingConnectionPool``
makes the surplus wait (up to ``pool_timeout``) for one of ``max_connections`` instead of failing
with "Too many connections" as the default pool does. Socket timeouts are tens of milliseconds: a
local Redis answers in well under one, and a hung one must not hold a request; they count Redis'
silence, not the time this worker's event loop took to look (``redis_socket``). Keys that one
script touches share a hash tag (``{…}``), so the scripts also run on Redis Cluster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from wisphub_api.state.redis_socket import BlockingPool, LagTolerantConnection

# Limit check and count in one step: a refused attempt changes nothing; a failure adds one to
# each counter and starts its window at the first failure, never extending it.
_LIMIT_SCRIPT = """
local failed = ARGV[2] == '1'
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 + i]) then
    local ttl = redis.call('PTTL', key)
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
if failed then
  for _, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 or redis.call('PTTL', key) < 0 then
      redis.call('PEXPIRE', key, ARGV[1])
    end
  end
end
return 0
"""

# Append to a log: a sequence number, the entry (prefixed with it, so equal entries stay two
# members), the cap, and the retention after the last write.
_APPEND_SCRIPT = """
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, seq .. ':' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
"""

# Delete a key only while it holds the caller's token (release a lock we still own).
_DELETE_IF_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def connect(url: str, *, timeout: float, max_connections: int, pool_timeout: float) -> redis.Redis:
    """Return a client of ``url`` with short socket timeouts and a bounded, blocking pool."""
    # No retries: a timeout is an answer ("unavailable"), and the breaker decides when to try again.
    no_retry = Retry(NoBackoff(), 0)
    # TCP connections tolerate a late event loop; TLS and Unix sockets keep redis-py's own.
    tcp = {"connection_class": LagTolerantConnection} if urlsplit(url).scheme == "redis" else {}
    pool = BlockingPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=no_retry,
        **tcp,
    )
    return redis.Redis(connection_pool=pool, retry=no_retry)


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisStore:
    """``SharedStore`` in Redis, shared by every worker and host of a deployment."""

    kind = "redis"

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self._prefix = prefix
        self._limit = client.register_script(_LIMIT_SCRIPT)
        self._append = client.register_script(_APPEND_SCRIPT)
        self._delete_if = client.register_script(_DELETE_IF_SCRIPT)

    def key(self, name: str) -> str:
        """Return the Redis key of a store key (the prefix keeps deployments apart)."""
        return self._prefix + name

    def ping(self) -> None:
        """Raise unless Redis answers."""
        self.client.ping()

    def close(self) -> None:
        """Close the client's pooled connections."""
        self.client.close()
        # A client given its own pool (``connect``) leaves the pool open on close().
        self.client.connection_pool.disconnect()

    def get(self, key: str) -> bytes | None:
        """Return the value of a live ``key``, or None."""
        value: Any = self.client.get(self.key(key))
        return None if value is None else bytes(value)

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        self.client.set(self.key(key), value, px=_ms(ttl))

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Store ``value`` only if ``key`` is absent; return whether it was stored."""
        return bool(self.client.set(self.key(key), value, px=_ms(ttl), nx=True))

    def delete(self, key: str, *, only_if: bytes | None = None) -> None:
        """Forget ``key`` (only while it still holds ``only_if``, when given)."""
        if only_if is None:
            self.client.delete(self.key(key))
        else:
            self._delete_if(keys=[self.key(key)], args=[only_if])

    def limit_attempt(
        self, keys: Sequence[str], limits: Sequence[int], window: float, failed: bool
    ) -> float:
        """Decide one attempt against several failure counters atomically (see SharedStore)."""
        wait_ms = self._limit(
            keys=[self.key(k) for k in keys], args=[_ms(window), int(failed), *limits]
        )
        return int(wait_ms) / 1000

    def append(self, log: str, entry: bytes, *, retention: float, cap: int) -> int:
        """Append ``entry`` to ``log``; return its sequence number."""
        keys = [self.key(f"{{{log}}}:entries"), self.key(f"{{{log}}}:seq")]
        return int(self._append(keys=keys, args=[entry, _ms(retention), cap]))

    def read_since(self, log: str, seq: int) -> list[tuple[int, bytes]]:
        """Return the entries of ``log`` after ``seq``, oldest first."""
        rows: Any = self.client.zrangebyscore(
            self.key(f"{{{log}}}:entries"), f"({seq}", "+inf", withscores=True
        )
        return [(int(score), bytes(member).split(b":", 1)[1]) for member, score in rows]
