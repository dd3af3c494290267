"""Read every load-test setting from the environment (the only module that does)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from loadtests.common.schedules import SpikeSchedule, StepSchedule
from loadtests.common.thresholds import Thresholds

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HOST = "http://localhost:8000"
# Fallback files for the key, in order: a developer's .env, then the demo key in .env.example.
KEY_FILES = (".env", ".env.example")
# (connect, read) seconds: a stalled answer must count as a failure, not hang a simulated bot.
DEFAULT_TIMEOUT = (3.05, 10.0)
OFF_VALUES = frozenset({"", "off", "none", "disabled"})


class MissingApiKeyError(RuntimeError):
    """No API key was found in the environment or the repository's env files."""


def parse_limit(raw: str | None, default: float | None) -> float | None:
    """Turn a threshold setting into a number; unset keeps the default, "" or "off" disables it."""
    if raw is None:
        return default
    if raw.strip().lower() in OFF_VALUES:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not value >= 0:  # also rejects NaN
        raise ValueError(f"a threshold must be a number >= 0 or 'off', got {raw!r}")
    return value


def thresholds(env: Mapping[str, str] = os.environ) -> Thresholds:
    """Build the thresholds from LOADTEST_MAX_* variables."""
    base = Thresholds()
    return Thresholds(
        max_failures=_limit(env, "LOADTEST_MAX_FAILURES", base.max_failures),
        max_avg_ms=_limit(env, "LOADTEST_MAX_AVG_MS", base.max_avg_ms),
        max_cached_p95_ms=_limit(env, "LOADTEST_MAX_CACHED_P95_MS", base.max_cached_p95_ms),
    )


def _limit(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    try:
        return parse_limit(env.get(name), default)
    except ValueError:
        raise ValueError(f"{name} must be a number >= 0 or 'off', got {env.get(name)!r}") from None


def host(env: Mapping[str, str] = os.environ) -> str:
    """Return the default target host; Locust's --host overrides it."""
    return env.get("LOADTEST_HOST") or DEFAULT_HOST


def timeout(env: Mapping[str, str] = os.environ) -> tuple[float, float]:
    """Return the (connect, read) timeout of every request."""
    raw = env.get("LOADTEST_TIMEOUT_S")
    return (DEFAULT_TIMEOUT[0], float(raw)) if raw else DEFAULT_TIMEOUT


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of an env file, skipping comments and blank lines."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().removeprefix("export ").strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def first_key(keys: str | None) -> str | None:
    """Return the first non-empty key of a comma-separated list."""
    return next((k.strip() for k in (keys or "").split(",") if k.strip()), None)


def resolve_api_key(env: Mapping[str, str], root: Path) -> str | None:
    """Find the key: WISPHUB_API_KEY, then WISPHUB_INTERNAL_API_KEY, then .env and .env.example."""
    if env.get("WISPHUB_API_KEY"):
        return env["WISPHUB_API_KEY"].strip()
    sources = [env, *(read_env_file(root / name) for name in KEY_FILES)]
    return next((k for s in sources if (k := first_key(s.get("WISPHUB_INTERNAL_API_KEY")))), None)


@cache
def api_key() -> str:
    """Return the API key every simulated user sends, or fail with a hint (never the key)."""
    key = resolve_api_key(os.environ, REPO_ROOT)
    if key is None:
        raise MissingApiKeyError(
            "no API key: set WISPHUB_API_KEY or WISPHUB_INTERNAL_API_KEY, or add it to .env"
        )
    return key


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def step_schedule(env: Mapping[str, str] = os.environ) -> StepSchedule:
    """Build the step shape's schedule from LOADTEST_STEP_* variables."""
    base = StepSchedule()
    return StepSchedule(
        step_users=int(_number(env, "LOADTEST_STEP_USERS", base.step_users)),
        step_time=_number(env, "LOADTEST_STEP_TIME", base.step_time),
        max_users=int(_number(env, "LOADTEST_STEP_MAX_USERS", base.max_users)),
        spawn_rate=_number(env, "LOADTEST_STEP_SPAWN_RATE", base.spawn_rate),
    )


def spike_schedule(env: Mapping[str, str] = os.environ) -> SpikeSchedule:
    """Build the spike shape's schedule from LOADTEST_SPIKE_* variables."""
    base = SpikeSchedule()
    return SpikeSchedule(
        base_users=int(_number(env, "LOADTEST_SPIKE_BASE_USERS", base.base_users)),
        spike_users=int(_number(env, "LOADTEST_SPIKE_USERS", base.spike_users)),
        base_time=_number(env, "LOADTEST_SPIKE_BASE_TIME", base.base_time),
        spike_time=_number(env, "LOADTEST_SPIKE_TIME", base.spike_time),
        recovery_time=_number(env, "LOADTEST_SPIKE_RECOVERY_TIME", base.recovery_time),
        spawn_rate=_number(env, "LOADTEST_SPIKE_SPAWN_RATE", base.spawn_rate),
    )
