"""WispHub Net emulator ("sandbox"): a fake upstream with deterministic data, latency and faults.

Run it::

    python -m wisphub_api.sandbox                       # http://127.0.0.1:8001, 1500 clients
    python -m wisphub_api.sandbox --port 0 --latency-ms 0 --per-row-ms 0   # fast, free port

It prints one line, ``WISPHUB SANDBOX listening on http://HOST:PORT``, then serves with gevent
until SIGTERM or SIGINT. Call it like WispHub Net::

    curl -H "Authorization: Api-Key Sbx4Demo.W1spHubSandboxKey000000000000001" \\
         "http://127.0.0.1:8001/api/clientes/?limit=2"

Options: --host, --port (0 = free port), --clients (1500), --plans (12), --seed (42),
--api-key (repeatable; default the demo key above), --latency-ms ("300-600" uniform per call, "0"
for none), --per-row-ms (5.0 per row returned), --error-rate, --stall-rate, --stall-seconds (120),
--default-limit (50), --max-limit (300), --http-next (next/previous URLs always http://, even
behind a proxy that sends X-Forwarded-Proto: https, as api.wisphub.io was seen to do).

The API (all under /api/, ``Authorization: Api-Key <key>``; a missing, malformed or unknown key
gets one generic 403; the other slash spelling of a URL gets a 301; unknown URLs a JSON 404):

- ``GET /api/clientes/``: DRF envelope {count, next, previous, results}, limit/offset (``page``
  is ignored, as upstream), limit clamped to --max-limit. Filters: cedula, telefono, usuario,
  ciudad, localidad (exact), id_servicio, plan_internet, router, sectorial, tecnico (ids), nombre,
  nombre__contains, apellido__contains, usuario__contains, telefono__contains (case and accent
  insensitive), estado (1 Activo, 2 Suspendido, 3 Cancelado, 4 Gratis), ordering=-id_servicio.
  Any other parameter is silently ignored; empty values are ignored.
- ``GET /api/clientes/{id}/``: detail field set (no estado_facturas/saldo/fecha_corte, plus
  facturas_pagadas, usuario null).
- ``GET|PUT /api/clientes/{id}/perfil/``: nombre, apellidos, cedula, direccion, localidad,
  ciudad, telefono, saldo (a decimal string). The list's ``nombre`` is "NOMBRE APELLIDOS", so a
  PUT of either part shows in the list. A bad body answers 400 ``{"error": ...}``.
- ``GET /api/clientes/{id}/saldo`` (no trailing slash): {nombre, saldo <number>, facturas: []}.
- ``GET /api/plan-internet/`` ({id, nombre, tipo}), ``GET /api/plan-internet/pppoe/{id}/`` and
  ``/queue/{id}/`` (precio, bajada, subida, descripcion); the wrong type, and PCQ plans, 404.

The data is a pure function of --seed, --clients and --plans. Client 7 is always "ESPERANZA
BENÍTEZ", direccion "BELLAVISTA", on the PPPoE plan "PLAN 10MB" priced "40000.00".

Control plane (no auth, never counted, no latency):

- ``GET /__health`` -> {"status": "ok"}
- ``GET /__stats`` -> {total, by_path, by_page, by_status} of /api/ calls (faulted ones too;
  by_page keys look like "/api/clientes/?limit=300&offset=0"; a hang-up counts as "dropped").
  ``POST /__stats/reset`` clears it.
- ``GET|POST /__fault`` {"mode", "path" (prefix, default "/api/"), "count" (calls before it
  reverts to ok), "delay" (seconds, for slow; default 2)}. Modes: ok, error (HTML 500), stall
  (no answer for --stall-seconds, then a normal one; any later POST to /__fault releases it),
  down (connection closed without an answer), slow (a correct answer after `delay`),
  invalid_json (200 with a truncated body), missing_fields (client rows whose id_servicio is a
  multiple of 10 lack id_servicio and nombre), short_count (count is 25 more than can be paged),
  forbidden (the generic 403).
- ``GET|POST /__latency`` {"latency_ms": "0" | "300-600", "per_row_ms", "error_rate",
  "stall_rate", "stall_seconds"}: change the knobs at run time.
- ``POST /__reset``: rebuild the dataset from the seed; clear faults, stats and knobs.

In process: ``create_app(SandboxOptions(...))`` returns the Flask (WSGI) application; there the
``down`` fault raises ``DropConnection`` (only the sandbox's own gevent server turns it into a
closed connection). Tests: ``tests/support/sandbox.py`` (``SandboxProcess``, fixtures ``sandbox``
and ``sandbox_clean``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wisphub_api.sandbox.options import DEMO_API_KEY, SandboxOptions

if TYPE_CHECKING:
    from wisphub_api.sandbox.app import create_app

__all__ = ["DEMO_API_KEY", "SandboxOptions", "create_app"]


def __getattr__(name: str) -> Any:
    # Flask is imported lazily so that `python -m` can monkey-patch with gevent before it loads.
    if name == "create_app":
        from wisphub_api.sandbox.app import create_app

        return create_app
    raise AttributeError(name)
