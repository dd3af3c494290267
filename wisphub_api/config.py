"""Read every setting of the service from the environment, with defaults.

This is the only module that reads ``os.environ``. ``.env`` (if present) is loaded first by
python-dotenv without overriding variables that are already set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

ENVIRONMENTS = ("production", "development", "testing")
# The languages of the answers' sentences (wisphub_api/translations), Accept-Language chooses.
LANGUAGES = ("es", "en")

# The bot key written in .env.example for the sandbox demo; never accepted in production.
DEMO_API_KEY = "demo-bot-key-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot run the service (raised at start-up, never at request time)."""


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _word(value: str) -> str:
    return value.strip().lower()


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# name -> (parser, default). The default is the raw string an operator would write.
_SETTINGS: dict[str, tuple[Callable[[str], Any], str]] = {
    "APP_ENV": (str.lower, "production"),
    # Upstream WispHub Net.
    "WISPHUB_NET_HOST": (str.strip, ""),
    "WISPHUB_NET_KEY": (str.strip, ""),
    "UPSTREAM_CONNECT_TIMEOUT": (float, "3.05"),
    "UPSTREAM_READ_TIMEOUT": (float, "10"),
    "UPSTREAM_RETRIES": (int, "2"),
    "UPSTREAM_BACKOFF": (float, "0.3"),
    "UPSTREAM_POOL_SIZE": (int, "50"),
    "UPSTREAM_PAGE_SIZE": (int, "300"),
    "UPSTREAM_MAX_PARALLEL_PAGES": (int, "8"),
    # Bots.
    "WISPHUB_INTERNAL_API_KEY": (_csv, ""),
    "MAX_CONTENT_LENGTH": (int, "65536"),
    "CORS_ORIGINS": (_csv, ""),
    # Cache.
    "CACHE_TYPE": (str.strip, "SimpleCache"),
    "CACHE_REDIS_URL": (str.strip, ""),
    "CACHE_KEY_PREFIX": (str.strip, "wisphub_api:"),
    "CLIENTS_CACHE_TTL": (int, "300"),
    "PLANS_CACHE_TTL": (int, "900"),
    "LOOKUP_CACHE_TTL": (int, "60"),
    "NOT_FOUND_CACHE_TTL": (int, "10"),
    "STALE_MAX_AGE": (int, "86400"),
    "REFRESH_AHEAD_FRACTION": (float, "0.8"),
    "CIRCUIT_FAILURE_THRESHOLD": (int, "3"),
    "CIRCUIT_RESET_SECONDS": (float, "30"),
    "WARMUP_ON_START": (_bool, "true"),
    "COLD_WAIT_SECONDS": (float, "10"),
    "SNAPSHOT_BUILDER": (str.strip, "auto"),
    # Shared state: Redis when CACHE_REDIS_URL is set, else an SQLite file under STATE_DIR.
    "STATE_DIR": (str.strip, ""),
    "REDIS_SOCKET_TIMEOUT": (float, "0.05"),
    "REDIS_MAX_CONNECTIONS": (int, "50"),
    "REDIS_POOL_TIMEOUT": (float, "1"),
    "SHARED_STATE_RETRY_SECONDS": (float, "5"),
    "STATE_POLL_SECONDS": (float, "0.2"),
    "IDEMPOTENCY_TTL": (int, "86400"),
    # Identity verification.
    "VERIFY_MIN_FIELDS": (int, "2"),
    "VERIFY_MAX_FAILURES": (int, "5"),
    "VERIFY_MAX_FAILURES_PER_SERVICE": (int, "20"),
    "VERIFY_END_USER_SECRET": (str.strip, ""),
    "VERIFY_WINDOW_SECONDS": (int, "900"),
    "VERIFY_PRICE_TOLERANCE": (float, "1"),
    "RESOLVE_MIN_FIELDS": (int, "3"),
    # Support conversations: tickets, known outages, diagnostics.
    "TICKETS_CACHE_TTL": (int, "60"),
    "TICKETS_WINDOW_DAYS": (int, "59"),
    "MAX_OPEN_TICKETS_PER_ZONE": (int, "3"),
    "TICKET_SUBJECTS": (str.strip, ""),
    "SUPPORT_CATALOGUE_TTL": (int, "60"),
    "DIAGNOSTIC_POLL_SECONDS": (float, "2"),
    "DIAGNOSTIC_MAX_SECONDS": (float, "60"),
    "DIAGNOSTIC_TTL": (int, "3600"),
    # Billing conversations: balance, invoices, payment promises and reports.
    "INVOICES_CACHE_TTL": (int, "60"),
    "PAYMENT_METHODS_CACHE_TTL": (int, "900"),
    "PAYMENT_PROMISES_ENABLED": (_bool, "false"),
    "PAYMENT_PROMISE_MAX_DAYS": (int, "5"),
    "RECEIPT_MAX_BYTES": (int, "5242880"),
    "WISPHUB_TIMEZONE": (str.strip, "America/Bogota"),
    # The language of sentences when Accept-Language names none of LANGUAGES (the ISPs' bots
    # mostly talk to Spanish speakers).
    "DEFAULT_LANGUAGE": (_word, "es"),
    # Operations.
    "LOG_LEVEL": (str.upper, "INFO"),
    "TRUSTED_PROXY_COUNT": (int, "0"),
    "FAST_LANE": (_bool, "true"),
}


def setting_names() -> tuple[str, ...]:
    """Return the name of every setting this module reads."""
    return tuple(_SETTINGS)


def load_config(environ: Mapping[str, str] | None = None, env_file: str | None = ".env") -> dict:
    """Return the settings parsed from ``environ`` (default: ``.env`` under ``os.environ``)."""
    if environ is None:
        file_values = dotenv_values(env_file) if env_file and Path(env_file).is_file() else {}
        environ = {**{k: v or "" for k, v in file_values.items()}, **os.environ}
    config: dict[str, Any] = {}
    for name, (parse, default) in _SETTINGS.items():
        raw = environ.get(name, default)
        try:
            config[name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} has an invalid value") from exc
    if config["CACHE_REDIS_URL"] and "CACHE_TYPE" not in environ:
        config["CACHE_TYPE"] = "RedisCache"
    config["CACHE_DEFAULT_TIMEOUT"] = config["CLIENTS_CACHE_TTL"]
    return config


def validate_config(config: Mapping[str, Any]) -> None:
    """Raise ``ConfigError`` with a clear sentence when the settings cannot serve."""
    env = config["APP_ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
    if env != "testing":
        missing = [
            name
            for name in ("WISPHUB_NET_HOST", "WISPHUB_NET_KEY", "WISPHUB_INTERNAL_API_KEY")
            if not config.get(name)
        ]
        if missing:
            raise ConfigError(
                f"missing required setting(s): {', '.join(missing)} "
                "(see .env.example; `make serve` starts the sandbox when no host is set)"
            )
    if env == "production" and DEMO_API_KEY in config["WISPHUB_INTERNAL_API_KEY"]:
        raise ConfigError("WISPHUB_INTERNAL_API_KEY still holds the demo key; set your bots' keys")
    if config["CACHE_TYPE"] == "RedisCache" and not config["CACHE_REDIS_URL"]:
        raise ConfigError("CACHE_TYPE=RedisCache needs CACHE_REDIS_URL")
    if config["CACHE_TYPE"] not in {"SimpleCache", "RedisCache", "NullCache"}:
        raise ConfigError("CACHE_TYPE must be SimpleCache or RedisCache")
    if config["DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
    if config["TRUSTED_PROXY_COUNT"] < 0:
        raise ConfigError("TRUSTED_PROXY_COUNT must be 0 or more")
    for name in (
        "CLIENTS_CACHE_TTL",
        "PLANS_CACHE_TTL",
        "VERIFY_MIN_FIELDS",
        "VERIFY_MAX_FAILURES",
        "VERIFY_MAX_FAILURES_PER_SERVICE",
        "MAX_CONTENT_LENGTH",
        "REDIS_SOCKET_TIMEOUT",
        "REDIS_MAX_CONNECTIONS",
        "REDIS_POOL_TIMEOUT",
        "SHARED_STATE_RETRY_SECONDS",
        "STATE_POLL_SECONDS",
        "IDEMPOTENCY_TTL",
    ):
        if config[name] <= 0:
            raise ConfigError(f"{name} must be positive")
    if config["SNAPSHOT_BUILDER"] not in {"auto", "process", "thread"}:
        raise ConfigError("SNAPSHOT_BUILDER must be auto, process or thread")
    if config["COLD_WAIT_SECONDS"] < 0:
        raise ConfigError("COLD_WAIT_SECONDS must not be negative")
    if not 0 < config["REFRESH_AHEAD_FRACTION"] < 1:
        raise ConfigError("REFRESH_AHEAD_FRACTION must be between 0 and 1")
    _validate_support(config)
    _validate_billing(config)


def _validate_support(config: Mapping[str, Any]) -> None:
    """Check the settings of support conversations (tickets, outages, diagnostics)."""
    from wisphub_api.services.subjects import load_subjects

    for name in (
        "TICKETS_CACHE_TTL",
        "MAX_OPEN_TICKETS_PER_ZONE",
        "SUPPORT_CATALOGUE_TTL",
        "DIAGNOSTIC_POLL_SECONDS",
        "DIAGNOSTIC_TTL",
    ):
        if config[name] <= 0:
            raise ConfigError(f"{name} must be positive")
    # WispHub refuses a ticket window over 2 calendar months; 59 days always fits.
    if not 1 <= config["TICKETS_WINDOW_DAYS"] <= 59:
        raise ConfigError("TICKETS_WINDOW_DAYS must be between 1 and 59")
    if not config["DIAGNOSTIC_POLL_SECONDS"] < config["DIAGNOSTIC_MAX_SECONDS"]:
        raise ConfigError("DIAGNOSTIC_MAX_SECONDS must be longer than DIAGNOSTIC_POLL_SECONDS")
    try:
        load_subjects(config["TICKET_SUBJECTS"])
    except ValueError as exc:
        raise ConfigError(f"TICKET_SUBJECTS: {exc}") from None


def _validate_billing(config: Mapping[str, Any]) -> None:
    """Check the settings of billing conversations."""
    from wisphub_api.services.calendar import time_zone

    for name in ("INVOICES_CACHE_TTL", "PAYMENT_METHODS_CACHE_TTL", "RECEIPT_MAX_BYTES"):
        if config[name] <= 0:
            raise ConfigError(f"{name} must be positive")
    if not 0 <= config["PAYMENT_PROMISE_MAX_DAYS"] <= 60:
        raise ConfigError("PAYMENT_PROMISE_MAX_DAYS must be between 0 and 60")
    try:
        time_zone(config["WISPHUB_TIMEZONE"])
    except ValueError:
        raise ConfigError(
            "WISPHUB_TIMEZONE must be an IANA time zone such as America/Bogota"
        ) from None


def config_for_tests(**overrides: Any) -> dict:
    """Return settings for tests: no environment, no warm-up, fast upstream failures."""
    config = load_config(environ={})
    config.update(
        APP_ENV="testing",
        TESTING=True,
        WISPHUB_NET_HOST="http://127.0.0.1:9",
        WISPHUB_NET_KEY="Test1234.abcdefghijklmnopqrstuvwxyz012345",
        WISPHUB_INTERNAL_API_KEY=["test-key", "second-test-key"],
        WARMUP_ON_START=False,
        UPSTREAM_CONNECT_TIMEOUT=1.0,
        UPSTREAM_READ_TIMEOUT=2.0,
        UPSTREAM_RETRIES=0,
        UPSTREAM_BACKOFF=0.0,
        # Each test app its own shared state, so that no count or write leaks between tests.
        STATE_DIR=tempfile.mkdtemp(prefix="wisphub_api-test-state-"),
        # Tests read the English sentences; the Spanish ones have tests of their own.
        DEFAULT_LANGUAGE="en",
    )
    config.update(overrides)
    return config
