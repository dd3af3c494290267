"""Command-line options of the sandbox and their run-time form."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from wisphub_api.sandbox.clock import tenant_today

# Shape of a djangorestframework-api-key key, as WispHub issues them: 8 alnum, a dot, 32 alnum.
KEY_PATTERN = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}")
DEMO_API_KEY = "Sbx4Demo.W1spHubSandboxKey000000000000001"
# A second demo key, like a staff user whose role may not download invoice PDFs.
DEMO_RESTRICTED_KEY = "Sbx4NoPd.W1spHubSandboxKey000000000000002"

_RANGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?")


def parse_latency(text: str) -> tuple[float, float]:
    """Parse "300-600", "200" or "0" into a (low, high) range of milliseconds."""
    match = _RANGE.fullmatch(str(text))
    if match is None:
        raise ValueError(f"latency must look like '300-600' or '0', got {text!r}")
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) is not None else low
    if high < low:
        raise ValueError(f"latency range is reversed: {text!r}")
    return low, high


def parse_rate(value: object) -> float:
    """Parse a probability between 0 and 1."""
    rate = float(value)  # type: ignore[arg-type]
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be between 0 and 1, got {value!r}")
    return rate


@dataclass(slots=True)
class SandboxOptions:
    """Everything that shapes one sandbox: its dataset, its keys and its behaviour knobs."""

    host: str = "127.0.0.1"
    port: int = 8001
    clients: int = 1500
    plans: int = 12
    seed: int = 42
    api_keys: tuple[str, ...] = (DEMO_API_KEY,)
    restricted_keys: tuple[str, ...] = (DEMO_RESTRICTED_KEY,)
    latency_ms: tuple[float, float] = (300.0, 600.0)
    per_row_ms: float = 5.0
    error_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 120.0
    default_limit: int = 50
    max_limit: int = 300
    http_next: bool = False
    # The tenant's "today": invoice and ticket dates are drawn relative to it.
    today: date = field(default_factory=tenant_today)
    task_seconds: float = 3.0
    rate_limit: float = 0.0
    rate_limit_burst: int = 10


def _latency_arg(text: str) -> tuple[float, float]:
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _rate_arg(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _key_arg(text: str) -> str:
    if not KEY_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError("an API key is 8 letters/digits, a dot, 32 letters/digits")
    return text


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a date is YYYY-MM-DD") from exc


def _non_negative_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("expected a number") from exc
    if not value >= 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _burst_arg(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("a burst is a positive integer")
    return int(text)


def _add_keys(add: Callable[..., object]) -> None:
    add(
        "--api-key",
        dest="api_keys",
        action="append",
        type=_key_arg,
        metavar="KEY",
        help=f"accepted Api-Key with every permission, repeatable (default {DEMO_API_KEY})",
    )
    add(
        "--restricted-key",
        dest="restricted_keys",
        action="append",
        type=_key_arg,
        metavar="KEY",
        help="accepted Api-Key without the invoice PDF permission, repeatable "
        f"(default {DEMO_RESTRICTED_KEY} when no key at all is given)",
    )


def _add_support_and_billing(add: Callable[..., object]) -> None:
    add(
        "--today",
        type=_date_arg,
        default=None,
        help="the tenant's today (default: today in its time zone, UTC-5)",
    )
    add(
        "--task-seconds",
        type=_non_negative_arg,
        default=3.0,
        help="how long a ping task takes to finish (default 3)",
    )
    add(
        "--rate-limit",
        type=_non_negative_arg,
        default=0.0,
        help="token bucket: calls per second before 429 (default 0 = off)",
    )
    add("--rate-limit-burst", type=_burst_arg, default=10, help="token bucket size (default 10)")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of `python -m wisphub_api.sandbox`."""
    parser = argparse.ArgumentParser(
        prog="python -m wisphub_api.sandbox",
        description="WispHub Net emulator: deterministic data, latency and faults on demand.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    add("--port", type=int, default=8001, help="port to bind; 0 picks a free one (default 8001)")
    add("--clients", type=int, default=1500, help="number of clients (default 1500)")
    add("--plans", type=int, default=12, help="number of internet plans (default 12)")
    add("--seed", type=int, default=42, help="dataset seed (default 42)")
    _add_keys(add)
    add(
        "--latency-ms",
        type=_latency_arg,
        default=(300.0, 600.0),
        metavar="LOW-HIGH",
        help='uniform latency range per call, "300-600" (default) or "0"',
    )
    add("--per-row-ms", type=float, default=5.0, help="extra latency per row returned (default 5)")
    add("--error-rate", type=_rate_arg, default=0.0, help="probability of a 500 (default 0)")
    add("--stall-rate", type=_rate_arg, default=0.0, help="probability of a stall (default 0)")
    add("--stall-seconds", type=float, default=120.0, help="how long a stall lasts (default 120)")
    add("--default-limit", type=int, default=50, help="page size without ?limit (default 50)")
    add("--max-limit", type=int, default=300, help="largest page size (default 300)")
    add("--http-next", action="store_true", help="emit next/previous URLs with http://")
    _add_support_and_billing(add)
    return parser


def parse_options(argv: Sequence[str] | None = None) -> SandboxOptions:
    """Turn command-line arguments into SandboxOptions."""
    args = build_parser().parse_args(argv)
    values = vars(args)
    if values["api_keys"] is None and values["restricted_keys"] is None:
        values["api_keys"], values["restricted_keys"] = [DEMO_API_KEY], [DEMO_RESTRICTED_KEY]
    values["api_keys"] = tuple(values["api_keys"] or ())
    values["restricted_keys"] = tuple(values["restricted_keys"] or ())
    if values["today"] is None:
        values["today"] = tenant_today()
    return SandboxOptions(**values)
