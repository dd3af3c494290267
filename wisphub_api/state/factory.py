"""Choose and build the shared store of an app from its settings."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wisphub_api.state.guard import Guarded
from wisphub_api.state.local import LocalStore
from wisphub_api.state.redis_store import RedisStore, connect

LOCAL_STORE_FILE = "state.sqlite3"


def state_dir(config: Mapping[str, Any]) -> Path:
    """Return the host-local directory of this deployment's state (snapshots, SQLite store).

    Unset, it is a private directory under the system's temporary one, named after the WispHub
    host and the key prefix: the workers of one deployment share it, two deployments on one host
    (two tenants) never do.
    """
    if config.get("STATE_DIR"):
        return Path(config["STATE_DIR"])
    identity = f"{config['WISPHUB_NET_HOST']}|{config['CACHE_KEY_PREFIX']}".encode()
    digest = hashlib.sha256(identity).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"wisphub_api-{os.getuid()}-{digest}"


def redis_client(config: Mapping[str, Any]) -> Any:
    """Return this process's Redis client (short timeouts, bounded blocking pool), or None."""
    url = config.get("CACHE_REDIS_URL")
    if not url:
        return None
    return connect(
        url,
        timeout=config["REDIS_SOCKET_TIMEOUT"],
        max_connections=config["REDIS_MAX_CONNECTIONS"],
        pool_timeout=config["REDIS_POOL_TIMEOUT"],
    )


def build_store(config: Mapping[str, Any], client: Any = None) -> Guarded:
    """Return the guarded shared store: Redis when configured, else the host's SQLite file."""
    if client is not None:
        store: Any = RedisStore(client, prefix=config["CACHE_KEY_PREFIX"] + "state:")
    else:
        store = LocalStore(state_dir(config) / LOCAL_STORE_FILE)
    return Guarded(store, retry_seconds=config["SHARED_STATE_RETRY_SECONDS"])


def end_user_secret(config: Mapping[str, Any]) -> bytes:
    """Return the key that hashes X-End-User ids: the setting, else one derived from the WispHub
    key (secret, and the same on every worker and host of a deployment)."""
    configured = config.get("VERIFY_END_USER_SECRET") or ""
    if configured:
        return str(configured).encode()
    return hashlib.sha256(b"wisphub_api end users\0" + config["WISPHUB_NET_KEY"].encode()).digest()
