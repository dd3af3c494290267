"""The ISP's today in its time zone, and invoice windows WispHub accepts (at most 92 days)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from wisphub_api.config import ConfigError, load_config, validate_config
from wisphub_api.services.calendar import (
    WINDOW_DAYS,
    TenantCalendar,
    add_months,
    split_window,
    time_zone,
)


def calendar_at(moment: datetime, zone: str = "America/Bogota") -> TenantCalendar:
    return TenantCalendar(time_zone(zone), now=lambda tz: moment.astimezone(tz))


def test_today_is_the_tenants_day_not_the_servers():
    late_evening_in_bogota = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # 21:30 on the 1st there
    assert calendar_at(late_evening_in_bogota).today() == date(2026, 12, 1)
    assert calendar_at(late_evening_in_bogota, "UTC").today() == date(2026, 12, 2)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 4, 2)),
        (date(2026, 1, 1), date(2026, 4, 3)),
        (date(2025, 12, 2), date(2026, 12, 3)),
    ],
)
def test_windows_cover_the_range_without_gap_or_overlap(start, end):
    windows = split_window(start, end)
    assert windows[0][0] == start and windows[-1][1] == end
    for (_, last), (first, _) in itertools.pairwise(windows):
        assert first == last + timedelta(days=1)
    assert all((b - a).days + 1 <= WINDOW_DAYS for a, b in windows)


@pytest.mark.parametrize(("months", "calls"), [(1, 1), (3, 1), (6, 2), (12, 4)])
def test_month_windows_end_tomorrow_and_reach_back_far_enough(months, calls):
    calendar = calendar_at(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    windows = calendar.issue_windows(months)
    assert len(windows) == calls
    assert windows[-1][1] == date(2026, 12, 2)
    assert windows[0][0] == add_months(date(2026, 12, 1), -months) + timedelta(days=1)


def test_add_months_clamps_to_the_month_length():
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -12) == date(2025, 1, 15)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WISPHUB_TIMEZONE", "Mars/Olympus"),
        ("PAYMENT_PROMISE_MAX_DAYS", "-1"),
        ("PAYMENT_PROMISE_MAX_DAYS", "61"),
        ("RECEIPT_MAX_BYTES", "0"),
        ("INVOICES_CACHE_TTL", "0"),
        ("PAYMENT_METHODS_CACHE_TTL", "0"),
    ],
)
def test_billing_settings_out_of_range_stop_the_start(name, value):
    config = load_config(environ={"APP_ENV": "testing", name: value})
    with pytest.raises(ConfigError, match=name):
        validate_config(config)


def test_billing_settings_defaults():
    config = load_config(environ={})
    assert config["INVOICES_CACHE_TTL"] == 60
    assert config["PAYMENT_PROMISES_ENABLED"] is False
    assert config["PAYMENT_PROMISE_MAX_DAYS"] == 5
    assert config["RECEIPT_MAX_BYTES"] == 5 * 1024 * 1024
    assert config["WISPHUB_TIMEZONE"] == "America/Bogota"
