"""Date-window query parameters, as WispHub's ticket and invoice lists read and limit them."""

from __future__ import annotations

from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from wisphub_api.sandbox.clock import parse_day

Window = tuple[date, date]


class WindowError(ValueError):
    """A window WispHub refuses with 400 {"error": <message>}."""


def last(args: MultiDict[str, str], key: str) -> str | None:
    """Return the last non-empty value of `key`, as Django's QueryDict and django-filter do."""
    values = [value for value in args.getlist(key) if value.strip()]
    return values[-1] if values else None


def _day(text: str | None, key: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise WindowError(f"{key}: introduzca una fecha válida (AAAA-MM-DD).") from None


def read_window(
    args: MultiDict[str, str], keys: tuple[str, str], today: date, span_days: int
) -> Window | None:
    """Read a (start, end) pair; a missing end is `today`, a missing start `span_days` before."""
    start = _day(last(args, keys[0]), keys[0])
    end = _day(last(args, keys[1]), keys[1])
    if start is None and end is None:
        return None
    end = end if end is not None else today
    start = start if start is not None else end - timedelta(days=span_days)
    return start, end


def inside(day: date, window: Window) -> bool:
    """Say whether `day` falls in the window, both ends included."""
    return window[0] <= day <= window[1]
