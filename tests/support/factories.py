"""Build domain objects for unit tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import split_phones


def make_client(service_id: int = 7, **values: Any) -> Client:
    """Build a Client with every field None except those given (phones derived from phone)."""
    fields: dict[str, Any] = {field.name: None for field in dataclasses.fields(Client)}
    fields.update(service_id=service_id, phones=split_phones(values.get("phone")), **values)
    return Client(**fields)
