"""DRF LimitOffsetPagination as WispHub answers it: envelope, clamping, next/previous links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

PAGING_KEYS = ("limit", "offset")


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def limit_offset(args: MultiDict[str, str], default: int, maximum: int) -> tuple[int, int]:
    """Read limit and offset as DRF does: a bad or non-positive limit means the default."""
    limit = _int_or_none(args.get("limit"))
    limit = default if limit is None or limit <= 0 else limit
    offset = _int_or_none(args.get("offset"))
    offset = 0 if offset is None or offset < 0 else offset
    return min(limit, maximum), offset


def _others(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in args.items(multi=True) if k not in PAGING_KEYS]


def page_key(path: str, args: MultiDict[str, str], default: int, maximum: int) -> str:
    """Name one page for `/__stats` by_page: "/api/clientes/?limit=300&offset=0[&other=...]"."""
    limit, offset = limit_offset(args, default, maximum)
    key = f"{path}?limit={limit}&offset={offset}"
    others = sorted(_others(args))
    return f"{key}&{urlencode(others)}" if others else key


def _link(base: str, args: MultiDict[str, str], limit: int, offset: int | None) -> str:
    # DRF rebuilds the query sorted by name and keeps every other parameter (filters, page).
    params = [*_others(args), ("limit", str(limit))]
    if offset is not None:
        params.append(("offset", str(offset)))
    return f"{base}?{urlencode(sorted(params, key=lambda item: item[0]))}"


def envelope(
    rows: Sequence[Any], count: int, limit: int, offset: int, base: str, args: MultiDict[str, str]
) -> dict[str, Any]:
    """Wrap one page of `rows` (already sliced) in {count, next, previous, results}."""
    following = _link(base, args, limit, offset + limit) if offset + limit < count else None
    previous = None
    if offset > 0:
        previous = _link(base, args, limit, offset - limit if offset - limit > 0 else None)
    return {"count": count, "next": following, "previous": previous, "results": list(rows)}
