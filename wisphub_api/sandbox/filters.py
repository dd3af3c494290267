"""Query filters of `GET /api/clientes/`, with upstream's exact, partial and ignored parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from wisphub_api.sandbox.dataset import ClientRecord
from wisphub_api.sandbox.names import fold

Predicate = Callable[[ClientRecord], bool]

ESTADO_CODES = {"1": "Activo", "2": "Suspendido", "3": "Cancelado", "4": "Gratis"}
# Exact string equality with the stored field, as django-filter's default lookup.
EXACT_FIELDS = ("cedula", "telefono", "usuario", "ciudad", "localidad")
# Nested objects filtered by their id.
RELATION_FIELDS = ("plan_internet", "router", "sectorial", "tecnico")


def _exact(field: str, value: str) -> Predicate:
    return lambda record: record.row[field] == value


def _service_id(value: str) -> Predicate:
    return lambda record: str(record.row["id_servicio"]) == value.strip()


def _relation(field: str, value: str) -> Predicate:
    def matches(record: ClientRecord) -> bool:
        related = record.row[field]
        return related is not None and str(related["id"]) == value.strip()

    return matches


def _contains(key: Callable[[ClientRecord], str], value: str) -> Predicate:
    needle = fold(value)
    return lambda record: needle in key(record)


def _folded_field(field: str) -> Callable[[ClientRecord], str]:
    return lambda record: fold(record.row[field] or "")


def _estado(value: str) -> Predicate:
    # Only the numeric codes filter; text such as "Activo" matches nothing.
    wanted = ESTADO_CODES.get(value.strip())
    return lambda record: wanted is not None and record.row["estado"] == wanted


def _predicate(name: str, value: str) -> Predicate | None:
    if name in EXACT_FIELDS:
        return _exact(name, value)
    if name in RELATION_FIELDS:
        return _relation(name, value)
    partial: dict[str, Callable[[ClientRecord], str]] = {
        "nombre": lambda record: record.folded_name,
        "nombre__contains": lambda record: record.folded_name,
        "apellido__contains": lambda record: record.folded_surnames,
        "usuario__contains": _folded_field("usuario"),
        "telefono__contains": _folded_field("telefono"),
    }
    if name in partial:
        return _contains(partial[name], value)
    if name == "id_servicio":
        return _service_id(value)
    if name == "estado":
        return _estado(value)
    return None  # zona, saldo, estado_facturas, search, page...: silently ignored upstream


def predicates(args: MultiDict[str, str]) -> list[Predicate]:
    """Build one predicate per recognised, non-empty parameter (empty values are ignored)."""
    found = (_predicate(name, value) for name, value in args.items() if value != "")
    return [predicate for predicate in found if predicate is not None]


def _ordered(records: list[ClientRecord], ordering: str | None) -> list[ClientRecord]:
    if ordering in ("-id_servicio", "-id"):
        return records[::-1]
    return records


def filter_clients(
    records: Iterable[ClientRecord], args: MultiDict[str, str]
) -> list[ClientRecord]:
    """Return the records matching every recognised filter, in id order (or `ordering=-id`)."""
    tests = predicates(args)
    matched = [record for record in records if all(test(record) for test in tests)]
    return _ordered(matched, args.get("ordering"))


def without(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Copy `row` without `fields` (the missing_fields fault)."""
    return {key: value for key, value in row.items() if key not in fields}
