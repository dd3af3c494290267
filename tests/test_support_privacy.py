"""A ticket's description goes to WispHub and nowhere else: not logs, metrics, state or caches."""

from __future__ import annotations

import logging

from tests.conftest import AUTH
from tests.support.tickets import Examples
from tests.test_reliability_faults import wait_until

# Digits and a word that appear nowhere else, as a subscriber would write them.
DOCUMENT, PHONE, WORD = "7765432109", "3157654321", "Marcadorsecreto"
DESCRIPTION = f"Cedula {DOCUMENT}, llamar al {PHONE}. {WORD} vive en la calle 5"


def test_a_description_never_leaves_the_request_except_to_wisphub(
    make_app, sandbox_clean, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    state_dir = tmp_path / "state"
    app = make_app(
        WISPHUB_NET_HOST=sandbox_clean.url, WISPHUB_NET_KEY=sandbox_clean.api_key,
        STATE_DIR=str(state_dir), UPSTREAM_READ_TIMEOUT=0.5,
    )  # fmt: skip
    api = app.test_client()
    examples = Examples(sandbox_clean)
    first, second = examples.calm()["id_servicio"], examples.calm(skip=1)["id_servicio"]
    body = {"service_id": first, "subject": "Sin Internet", "description": DESCRIPTION}
    created = api.post("/api/v1/tickets", json=body, headers={**AUTH, "Idempotency-Key": "p-1"})
    assert created.status_code == 201
    sandbox_clean.fault("stall", path="/api/tickets/", count=1)  # and a create that times out
    body["service_id"] = second
    assert api.post("/api/v1/tickets", json=body, headers=AUTH).status_code == 504
    sandbox_clean.fault("ok")
    wait_until(lambda: sandbox_clean.stats()["by_status"].get("201", 0) == 2)
    listed = api.get(f"/api/v1/clients/{second}/tickets", headers=AUTH)
    assert listed.status_code == 200 and len(listed.json) == 1
    upstream = sandbox_clean.get(f"/api/tickets/{created.json['ticket_id']}/").json()
    assert upstream["descripcion"] == DESCRIPTION  # WispHub got it
    seen = [caplog.text, api.get("/metrics").get_data(as_text=True)]
    seen += [str(created.json), str(listed.json), str(dict(created.headers))]
    seen += [path.read_bytes().decode("latin-1") for path in state_dir.rglob("*") if path.is_file()]
    backend = app.extensions["wisphub_api.services"].support.tickets.listings._backend
    seen += [
        repr(backend.get(key))
        for key in ("brief:tickets:open", "brief:ticket:" + str(created.json["ticket_id"]))
    ]
    assert any(str(created.json["ticket_id"]) in text for text in seen[5:-2])  # the write log
    assert "None" not in seen[-2:]  # the cached listing and detail were looked at
    for text in seen:
        for private in (DOCUMENT, PHONE, WORD):
            assert private not in text
