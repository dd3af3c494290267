"""Translate WispHub Net's Spanish rows into the English models, and profile fields back."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import UpstreamBadResponse
from .models import Client, PlanDetail, PlanSummary
from .phones import display_phones, split_phones

# WispHub writes dates D/MM/YYYY (day not zero-padded), sometimes followed by a time.
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s|$)")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T\s]|$)")
_DIGITS = re.compile(r"^[0-9]+$")
_PLAN_TYPES = {
    "pppoe": "PPPoE",
    "simplequeue": "Simple Queue",
    "simplequeues": "Simple Queue",
    "queue": "Simple Queue",
    "pcq": "PCQ",
}
# English profile field → WispHub perfil key (PUT /api/clientes/{id}/perfil/).
PROFILE_KEYS: dict[str, str] = {
    "name": "nombre",
    "last_name": "apellidos",
    "document": "cedula",
    "address": "direccion",
    "locality": "localidad",
    "city": "ciudad",
    "phone": "telefono",
    "balance": "saldo",
}


def client_from_row(row: Mapping[str, Any]) -> Client:
    """Build a Client from one row of GET /api/clientes/; raise UpstreamBadResponse if unusable."""
    if not isinstance(row, Mapping) or "nombre" not in row:
        raise UpstreamBadResponse("WispHub Net sent a client row without nombre")
    service_id = _int(row.get("id_servicio"))
    if service_id is None:
        raise UpstreamBadResponse("WispHub Net sent a client row without a valid id_servicio")
    phone_text = _text(row.get("telefono"))
    return Client(
        service_id=service_id,
        name=_text(row.get("nombre")),
        document=_text(row.get("cedula")),
        phone=display_phones(phone_text),
        phones=split_phones(phone_text),
        address=_text(row.get("direccion")),
        city=_text(row.get("ciudad")),
        locality=_text(row.get("localidad")),
        service_status=_text(row.get("estado")),
        payment_status=_text(row.get("estado_facturas")),
        zone_id=_int(_nested(row, "zona", "id")),
        antenna_ip=_text(row.get("ip")),
        cut_off_date=iso_date(row.get("fecha_corte")),
        outstanding_balance=money(row.get("saldo")),
        lan_interface=_text(row.get("interfaz_lan")),
        internet_plan_name=_text(_nested(row, "plan_internet", "nombre")),
        internet_plan_price=money(row.get("precio_plan")),
        technician_id=_int(_nested(row, "tecnico", "id")),
        router_id=_int(_nested(row, "router", "id")),
        username=_text(row.get("usuario")),
    )


def plan_from_row(row: Mapping[str, Any]) -> PlanSummary:
    """Build a PlanSummary from one row of GET /api/plan-internet/."""
    plan_id = _int(row.get("id")) if isinstance(row, Mapping) else None
    if plan_id is None:
        raise UpstreamBadResponse("WispHub Net sent a plan row without a valid id")
    return PlanSummary(
        plan_id=plan_id,
        name=_text(row.get("nombre")) or "",
        type=plan_type_from_upstream(row.get("tipo")),
    )


def plan_detail_from_body(plan: PlanSummary, body: Any) -> PlanDetail:
    """Build a PlanDetail from a pppoe/ or queue/ detail body."""
    if not isinstance(body, Mapping):
        raise UpstreamBadResponse("WispHub Net sent a plan detail that is not an object")
    return PlanDetail(
        plan_id=plan.plan_id,
        name=_text(body.get("nombre")) or plan.name,
        type=plan.type,
        price=money(body.get("precio")),
        download_speed=_text(body.get("bajada")),
        upload_speed=_text(body.get("subida")),
        description=_text(body.get("descripcion")),
    )


def plan_type_from_upstream(tipo: Any) -> str:
    """Return "PPPoE", "Simple Queue" or "PCQ" for any casing/spacing; other values stripped."""
    text = " ".join(str(tipo).split()) if tipo is not None else ""
    compact = re.sub(r"[\s_-]", "", text).casefold()
    return _PLAN_TYPES.get(compact, text)


def profile_payload(fields: Mapping[str, Any]) -> dict[str, str]:
    """Map English profile fields to WispHub perfil keys; raise ValueError on bad ones."""
    unknown = sorted(set(fields) - set(PROFILE_KEYS))
    if unknown:
        raise ValueError(f"unknown profile fields: {', '.join(unknown)}")
    if not fields:
        raise ValueError("no profile field to update")
    payload: dict[str, str] = {}
    for name, value in fields.items():
        key = PROFILE_KEYS[name]
        payload[key] = _balance_text(value) if name == "balance" else _profile_text(name, value)
    return payload


def iso_date(value: Any) -> str | None:
    """Return "YYYY-MM-DD" for a WispHub "D/MM/YYYY" date; None when empty or invalid."""
    text = _text(value)
    if text is None:
        return None
    dmy, iso = _DMY.match(text), _ISO.match(text)
    if dmy:
        day, month, year = (int(part) for part in dmy.groups())
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def money(value: Any) -> float | None:
    """Return a decimal string ("65000.00") or number as float; None when empty or invalid."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value)
        try:
            number = float(Decimal(text)) if text is not None else math.nan
        except (InvalidOperation, ValueError):  # ValueError: float() of a signalling NaN
            return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    """Return stripped text, None for empty strings, null, or values that are not scalars."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    """Return an integer id from an int or a string of digits; None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value.strip())
    return None


def _nested(row: Mapping[str, Any], key: str, field: str) -> Any:
    """Return row[key][field] when row[key] is an object; None when it is null or missing."""
    inner = row.get(key)
    return inner.get(field) if isinstance(inner, Mapping) else None


def _profile_text(name: str, value: Any) -> str:
    """Return a text profile value stripped; None clears the field."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"profile field {name} must be text")
    return value.strip()


def _balance_text(value: Any) -> str:
    """Return a balance as WispHub's two-decimal string ("12345.00")."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError("profile field balance must be a number")
    try:
        amount = Decimal(str(value).strip())
        if amount.is_finite():
            return f"{amount.quantize(Decimal('0.01')):f}"
    except InvalidOperation:  # not a number, or too large for two decimals
        pass
    raise ValueError("profile field balance must be a finite number")
