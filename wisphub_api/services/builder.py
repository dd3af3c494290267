"""The host's snapshot builder: fetch a dataset once, build what workers serve, write it to disk.

One process per host does a refresh's CPU work (decode WispHub's pages, map rows, index, serialise,
compress): the worker that holds the dataset's build lock runs ``build`` — in a child process under
gunicorn (``python -m wisphub_api.services.builder <dataset>``, settings on stdin), so that no
worker's event loop pays for it, or in a thread where there is no gevent (tests, ``flask run``).
Workers then adopt the written snapshot in a few cheap steps.

With Redis the builders of every host share one fetch per refresh: a builder takes the fresh copy
another host published, or takes the Redis lock, fetches from WispHub and publishes the payload
(compressed JSON) for the others. When Redis is down each host fetches for itself.

A builder process told to stop (SIGTERM: the gunicorn master stops, ``serving/orphans.py``)
releases the fetch lock it holds before it exits, so the next builder (the restarted server's)
fetches at once instead of waiting for the lease to expire.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis

from wisphub_api.services.artifact import (
    ArtifactPaths,
    BuildStatus,
    Pointer,
    read_pointer,
    read_status,
    write_snapshot,
    write_status,
)
from wisphub_api.services.connect import build_upstream, upstream_budget
from wisphub_api.services.datasets import DATASETS, Dataset
from wisphub_api.state.factory import state_dir
from wisphub_api.upstream.errors import UpstreamError

logger = logging.getLogger("wisphub_api.cache")

# Longest pause between build attempts after failures: short enough to recover within minutes.
MAX_BACKOFF_SECONDS = 300.0
# The builder moves megabytes to and from Redis, off the request path: it may wait longer than
# a worker's request does.
BUILDER_REDIS_TIMEOUT = 5.0
# How much less CPU priority the builder process takes than the workers serving requests.
BUILDER_NICENESS = 10
# How often a builder waiting for another host's copy looks for it.
SHARED_POLL_SECONDS = 0.5
# The fetch lock in Redis is a lease its holder renews every third of it while it fetches: a
# builder killed mid-fetch (a restart, a deploy) holds the other hosts back for one lease, not
# for a whole upstream budget.
LOCK_LEASE_SECONDS = 15.0
# The exit status of a builder stopped by SIGTERM (128 + the signal): a stop, not a crash.
STOPPED_STATUS = 128 + signal.SIGTERM

_RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Obtained:
    """A dataset's payload and where it came from."""

    payload: Any
    fetched_at: float
    source: str  # "upstream" or "shared"


class SharedCopies:
    """The payload of a dataset in Redis: a meta record, the versioned data, and a fetch lock."""

    def __init__(self, client: redis.Redis, prefix: str, name: str) -> None:
        self.client = client
        base = f"{prefix}snap:{{{name}}}"  # one hash tag: one Redis Cluster node per dataset
        self.meta_key, self.lock_key, self.data_prefix = f"{base}:meta", f"{base}:lock", base

    def meta(self) -> dict[str, Any] | None:
        raw: Any = self.client.get(self.meta_key)
        return None if raw is None else dict(json.loads(raw))

    def download(self, version: str) -> bytes | None:
        raw: Any = self.client.get(f"{self.data_prefix}:data:{version}")
        return None if raw is None else bytes(raw)

    def publish(self, blob: bytes, fetched_at: float, ttl: float) -> None:
        version = uuid.uuid4().hex
        milliseconds = max(1, int(ttl * 1000))
        pipe = self.client.pipeline(transaction=True)
        pipe.set(f"{self.data_prefix}:data:{version}", blob, px=milliseconds)
        pipe.set(
            self.meta_key,
            json.dumps({"version": version, "fetched_at": fetched_at}),
            px=milliseconds,
        )
        pipe.execute()

    def lock(self, lease: float) -> str | None:
        token = uuid.uuid4().hex
        taken = self.client.set(self.lock_key, token, px=max(1, int(lease * 1000)), nx=True)
        return token if taken else None

    def renew(self, token: str, lease: float) -> bool:
        """Extend the lease of a lock this token still holds; False when it was lost."""
        renewed = self.client.eval(
            _RENEW_SCRIPT, 1, self.lock_key, token, max(1, int(lease * 1000))
        )
        return bool(renewed)

    @contextlib.contextmanager
    def holding(self, token: str, lease: float) -> Iterator[None]:
        """Renew the lease of ``token`` every third of it until the block ends."""
        done = threading.Event()

        def renew_until_done() -> None:
            while not done.wait(lease / 3):
                try:
                    if not self.renew(token, lease):
                        return  # expired and maybe taken: the publish still helps the others
                except redis.RedisError:
                    pass  # Redis is failing: the lease ends by itself

        heartbeat = threading.Thread(target=renew_until_done, name="snapshot-lock", daemon=True)
        heartbeat.start()
        try:
            yield
        finally:
            done.set()
            heartbeat.join(lease)

    def locked(self) -> bool:
        return bool(self.client.exists(self.lock_key))

    def unlock(self, token: str) -> None:
        if self.client.get(self.lock_key) == token.encode():
            self.client.delete(self.lock_key)


class Builder:
    """Build one dataset on this host (see the module docstring)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        dataset: Dataset[Any],
        paths: ArtifactPaths,
        *,
        upstream: Any,
        shared: SharedCopies | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.dataset = dataset
        self.paths = paths
        self.upstream = upstream
        self.shared = shared
        self._clock = clock
        self.ttl = float(config[self.dataset.ttl_setting])
        self.refresh_after = self.ttl * float(config["REFRESH_AHEAD_FRACTION"])

    def run(self) -> Pointer | None:
        """Build the dataset once; return the new pointer, or None when it failed (logged)."""
        started = time.monotonic()
        try:
            obtained = self._obtain(read_pointer(self.paths))
            sections = self.dataset.sections(obtained.payload)
            pointer = write_snapshot(
                self.paths, sections, fetched_at=obtained.fetched_at, source=obtained.source
            )
        except UpstreamError as exc:
            # WispHub's own Retry-After (a 429) is the least pause before the next attempt.
            wait = float(getattr(exc, "retry_after", 0.0) or 0.0)
            record_failure(self.paths, self.config, type(exc).__name__, self._clock(), wait)
            return None
        except Exception as exc:  # a bug or a full disk: back off all the same, never spin
            logger.exception("building %s crashed", self.paths.name)
            record_failure(self.paths, self.config, type(exc).__name__, self._clock())
            return None
        write_status(self.paths, BuildStatus(last_attempt=self._clock()))
        elapsed = (time.monotonic() - started) * 1000
        logger.info("built %s from %s in %.0f ms", self.paths.name, obtained.source, elapsed)
        return pointer

    def _obtain(self, local: Pointer | None) -> Obtained:
        """Take a fresh shared copy, or fetch (sharing the result), or fetch alone."""
        if self.shared is not None:
            try:
                found = self._from_shared(local)
                if found is not None:
                    return found
            except redis.RedisError as exc:
                logger.warning("shared snapshot copies unavailable: %s", type(exc).__name__)
        payload, fetched_at = self.dataset.fetch(self.upstream, self.config)
        return Obtained(payload, fetched_at, "upstream")

    def _fresh_copy(self, local: Pointer | None) -> Obtained | None:
        assert self.shared is not None
        meta = self.shared.meta()
        if meta is None:
            return None
        fetched_at = float(meta["fetched_at"])
        newer = local is None or fetched_at > local.fetched_at
        if not newer or self._clock() - fetched_at >= self.refresh_after:
            return None
        blob = self.shared.download(str(meta["version"]))
        if blob is None:
            return None
        return Obtained(self.dataset.decode(zlib.decompress(blob)), fetched_at, "shared")

    def _from_shared(self, local: Pointer | None) -> Obtained | None:
        """Return a copy from Redis, or the payload this host fetched for everyone, or None."""
        assert self.shared is not None
        found = self._fresh_copy(local)
        if found is not None:
            return found
        budget = upstream_budget(self.config)
        token = self.shared.lock(LOCK_LEASE_SECONDS)
        if token is None:  # another host is fetching: wait for its copy
            deadline = time.monotonic() + budget
            while time.monotonic() < deadline and self.shared.locked():
                time.sleep(SHARED_POLL_SECONDS)
                found = self._fresh_copy(local)
                if found is not None:
                    return found
            return self._fresh_copy(local)  # None: it failed or vanished, fetch ourselves
        try:
            with self.shared.holding(token, LOCK_LEASE_SECONDS):
                payload, fetched_at = self.dataset.fetch(self.upstream, self.config)
                blob = zlib.compress(self.dataset.encode(payload), 6)
                ttl = float(self.config["STALE_MAX_AGE"]) + self.ttl
                with contextlib.suppress(redis.RedisError):  # our own copy is still built
                    self.shared.publish(blob, fetched_at, ttl)
            return Obtained(payload, fetched_at, "upstream")
        finally:
            with contextlib.suppress(redis.RedisError):
                self.shared.unlock(token)


def record_failure(
    paths: ArtifactPaths,
    config: Mapping[str, Any],
    error: str,
    now: float,
    least_pause: float = 0.0,
) -> None:
    """Count a failed build and decide when the next may start (exponential backoff)."""
    failures = read_status(paths).failures + 1
    threshold = max(1, int(config["CIRCUIT_FAILURE_THRESHOLD"]))
    pause = 0.0
    if failures >= threshold:
        base = float(config["CIRCUIT_RESET_SECONDS"])
        pause = min(MAX_BACKOFF_SECONDS, base * 2 ** min(failures - threshold, 16))
        pause *= random.uniform(0.8, 1.0)  # spread the hosts' probes
    pause = max(pause, least_pause)
    write_status(paths, BuildStatus(failures, error, now, now + pause))
    logger.warning(
        "building %s failed: %s (%d in a row%s)",
        paths.name,
        error,
        failures,
        f", next attempt in {pause:.0f} s" if pause else "",
    )


def make_builder(config: Mapping[str, Any], name: str) -> Builder:
    """Return a builder of dataset ``name`` with its own upstream client and Redis connection."""
    shared = None
    if config.get("CACHE_REDIS_URL"):
        client = redis.Redis.from_url(
            config["CACHE_REDIS_URL"],
            socket_timeout=BUILDER_REDIS_TIMEOUT,
            socket_connect_timeout=BUILDER_REDIS_TIMEOUT,
        )
        shared = SharedCopies(client, config["CACHE_KEY_PREFIX"], name)
    paths = ArtifactPaths(state_dir(config), name)
    return Builder(config, DATASETS[name], paths, upstream=build_upstream(config), shared=shared)


def thread_runner(builder: Builder) -> Callable[[int], None]:
    """Run builds in the calling thread (no gevent: tests, ``flask run``)."""

    def run(_lock: int) -> None:
        builder.run()

    return run


def process_runner(
    settings: Mapping[str, Any], paths: ArtifactPaths, timeout: float
) -> Callable[[int], None]:
    """Run builds in a child process that shares the caller's build lock (gunicorn workers).

    The child inherits the lock's descriptor, so the lock holds until the child exits even if
    the worker that started it dies; the settings go through stdin, never the command line.
    """
    payload = json.dumps(dict(settings), default=str).encode()
    command = [sys.executable, "-m", "wisphub_api.services.builder", paths.name]

    def run(lock: int) -> None:
        started = time.time()
        child = subprocess.Popen(  # noqa: S603 - a fixed command of our own
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(lock,)
        )
        try:
            child.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            record_failure(paths, settings, "UpstreamTimeout", time.time())
            return
        stopped = child.returncode == STOPPED_STATUS
        if child.returncode != 0 and not stopped and read_status(paths).last_attempt < started:
            record_failure(paths, settings, "BuilderCrashed", time.time())  # it died silently

    return run


def _stop_on_sigterm(signum: int, _frame: Any) -> None:
    # Unwinds the build: the fetch lock's ``finally`` deletes the lock before the process ends.
    raise SystemExit(128 + signum)


def _configure_logging(secret: str) -> None:
    """Log JSON lines on stderr, masked, as the workers do (the builder has no Flask)."""
    from wisphub_api.observability.masking import MASKING_FILTER

    class Line(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps(
                {
                    "ts": self.formatTime(record),
                    "level": record.levelname,
                    "logger": record.name,
                    "message": record.getMessage(),
                },
                ensure_ascii=False,
            )

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Line())
    handler.addFilter(MASKING_FILTER)
    MASKING_FILTER.add_secrets([secret])
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m wisphub_api.services.builder <dataset>`` with the settings on stdin."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in DATASETS:
        print(
            f"usage: python -m wisphub_api.services.builder {{{','.join(DATASETS)}}}",
            file=sys.stderr,
        )
        return 2
    config = json.loads(sys.stdin.read())
    _configure_logging(str(config.get("WISPHUB_NET_KEY", "")))
    # The workers answer bots meanwhile: on a busy host they come first for the CPU.
    os.nice(BUILDER_NICENESS)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    return 0 if make_builder(config, args[0]).run() is not None else 1


if __name__ == "__main__":
    sys.exit(main())
