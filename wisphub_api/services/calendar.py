"""The ISP's calendar: its "today" in its own time zone, and invoice windows WispHub accepts.

WispHub dates invoices and judges a promise's date by the tenant's day, not by this server's
clock (UTC in a container): at 20:00 in Bogotá it is already tomorrow in UTC. So "today" is read
in ``WISPHUB_TIMEZONE``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# WispHub answers 400 to an invoice window over ~3 months ("92 days ok, 122 not"): each call's
# window spans at most this many days, both ends included.
WINDOW_DAYS = 92


def time_zone(name: str) -> tzinfo:
    """Return the time zone called ``name`` (IANA, e.g. America/Bogota); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def add_months(day: date, months: int) -> date:
    """Move ``day`` by whole months, clamping the day to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def split_window(start: date, end: date, days: int = WINDOW_DAYS) -> list[tuple[date, date]]:
    """Split ``start``..``end`` (both included) into consecutive windows of at most ``days``."""
    windows = []
    while start <= end:
        last = min(end, start + timedelta(days=days - 1))
        windows.append((start, last))
        start = last + timedelta(days=1)
    return windows


class TenantCalendar:
    """Today's date for the ISP, and the invoice windows of its last months."""

    def __init__(self, zone: tzinfo, now: Callable[[tzinfo], datetime] | None = None) -> None:
        self.zone = zone
        self._now = now or (lambda tz: datetime.now(tz))

    def now(self) -> datetime:
        """Return the tenant's current moment (aware)."""
        return self._now(self.zone)

    def today(self) -> date:
        """Return the tenant's today."""
        return self.now().date()

    def issue_windows(self, months: int) -> list[tuple[date, date]]:
        """Return the windows covering invoices issued in the last ``months`` months.

        From the day after the same date ``months`` months ago (three months fit one call) to
        tomorrow, so that an invoice dated on a day that has begun somewhere in the tenant's
        country is never left out.
        """
        today = self.today()
        start = add_months(today, -months) + timedelta(days=1)
        return split_window(start, today + timedelta(days=1))
