"""WispHubClient lookups (find_clients, get_client) and profile writes (update_profile)."""

from __future__ import annotations

import pytest
from responses import matchers

from tests.support.upstream_mocks import (
    HEADERS,
    LIST_URL,
    PERFIL_URL,
    by_id,
    one_row_page,
    page_body,
)
from wisphub_api.upstream import (
    UpstreamAuthError,
    UpstreamBadResponse,
    UpstreamNotFound,
)


def test_get_client_count_zero_raises_not_found(mock, upstream):
    mock.get(LIST_URL, json={"count": 0, "next": None, "previous": None, "results": []})
    with pytest.raises(UpstreamNotFound):
        upstream.get_client(99)


def test_get_client_ignored_filter_keeps_only_the_asked_service(mock, upstream):
    mock.get(LIST_URL, json=page_body(), match=by_id(7))
    assert upstream.get_client(7).name == "ESPERANZA BENITEZ"


def test_find_clients_by_document_sends_filter_and_maps_rows(mock, upstream):
    query = {"cedula": "1098765432", "limit": "300"}
    mock.get(LIST_URL, json=one_row_page(), match=[matchers.query_param_matcher(query)])
    found = upstream.find_clients(cedula=" 1098765432 ")
    assert [c.service_id for c in found] == [1042]


def test_find_clients_by_phone_sends_filter(mock, upstream):
    query = {"telefono": "3001234567", "limit": "300"}
    mock.get(LIST_URL, json=one_row_page(), match=[matchers.query_param_matcher(query)])
    assert upstream.find_clients(telefono="3001234567")[0].phones[0] == "3001234567"


def test_find_clients_more_matches_than_rows_raises_bad_response(mock, upstream):
    body = one_row_page() | {"count": 7252}
    mock.get(LIST_URL, json=body)
    with pytest.raises(UpstreamBadResponse):
        upstream.find_clients(telefono="3001234567")


def test_find_clients_without_filter_raises_value_error(upstream):
    with pytest.raises(ValueError):
        upstream.find_clients(cedula="  ")


@pytest.mark.parametrize("service_id", [0, -3, True, "1042"])
def test_get_client_invalid_service_id_raises_value_error(upstream, service_id):
    with pytest.raises(ValueError):
        upstream.get_client(service_id)


def test_update_profile_puts_mapped_payload_and_returns_echo(mock, upstream):
    payload = {"ciudad": "POPAYAN", "saldo": "12345.00"}
    echo = {"nombre": "MARIA", "ciudad": "POPAYAN", "saldo": "12345.00"}
    mock.put(
        PERFIL_URL,
        json=echo,
        match=[
            matchers.json_params_matcher(payload),
            matchers.header_matcher(HEADERS),
            matchers.request_kwargs_matcher({"timeout": (3.05, 10.0)}),
        ],
    )
    assert upstream.update_profile(1042, {"city": "POPAYAN", "balance": 12345}) == echo


def test_update_profile_204_returns_payload_sent(mock, upstream):
    mock.put(PERFIL_URL, status=204)
    assert upstream.update_profile(1042, {"phone": "3001234567"}) == {"telefono": "3001234567"}


@pytest.mark.parametrize(
    ("status", "expected"), [(403, UpstreamAuthError), (404, UpstreamNotFound)]
)
def test_update_profile_error_status_raises_typed_error(mock, upstream, status, expected):
    mock.put(PERFIL_URL, status=status)
    with pytest.raises(expected):
        upstream.update_profile(1042, {"city": "POPAYAN"})


def test_update_profile_unknown_field_raises_before_any_call(upstream):
    with pytest.raises(ValueError):
        upstream.update_profile(1042, {"email": "x@example.com"})
