"""The tenant's calendar: its "today", its time zone, and the date formats WispHub speaks."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone

# The synthetic tenant is Colombian: UTC-5 all year (no daylight saving).
TENANT_TZ = timezone(timedelta(hours=-5))
# Spanish month abbreviations as WispHub writes invoice periods ("1/Abr./2026").
MONTHS_ES = ("Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic")
# Django's es locale accepts ISO dates and day-first dates in filters.
DATE_INPUTS = ("%Y-%m-%d", "%d/%m/%Y")


def add_months(day: date, months: int) -> date:
    """Move `day` by whole months, clamping the day to the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_bounds(day: date) -> tuple[date, date]:
    """Return the first and last day of `day`'s month."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    """Return an aware datetime in the tenant's time zone."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=TENANT_TZ)


def tenant_today() -> date:
    """Return the date it is now in the tenant's time zone (not the machine's)."""
    return datetime.now(TENANT_TZ).date()


def tenant_now(today: date) -> datetime:
    """Return "now" on the tenant's calendar: its `today` at the real time of day."""
    wall = datetime.now(TENANT_TZ).time().replace(microsecond=0)
    return datetime.combine(today, wall, tzinfo=TENANT_TZ)


def iso(moment: datetime | None) -> str | None:
    """Format a timestamp as DRF does: ISO 8601 with the offset ("2026-04-30T11:07:00-05:00")."""
    return moment.isoformat() if moment is not None else None


def period_day(day: date) -> str:
    """Format a day as invoice periods do: "1/Abr./2026"."""
    return f"{day.day}/{MONTHS_ES[day.month - 1]}./{day.year}"


def parse_day(text: str) -> date:
    """Parse a filter date (YYYY-MM-DD or DD/MM/YYYY); ValueError when it is neither."""
    for pattern in DATE_INPUTS:
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(text)
