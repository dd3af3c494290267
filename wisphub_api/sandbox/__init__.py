"""WispHub Net emulator ("sandbox"): a fake upstream with deterministic data, latency and faults.

Run it::

    python -m wisphub_api.sandbox                       # http://127.0.0.1:8001, 1500 clients
    python -m wisphub_api.sandbox --port 0 --latency-ms 0 --per-row-ms 0   # fast, free port

It prints one line, ``WISPHUB SANDBOX listening on http://HOST:PORT``, then serves with gevent
until SIGTERM or SIGINT. Call it like WispHub Net::

    curl -H "Authorization: Api-Key Sbx4Demo.W1spHubSandboxKey000000000000001" \\
         "http://127.0.0.1:8001/api/clientes/?limit=2"

Options: --host, --port (0 = free port), --clients (1500), --plans (12), --seed (42),
--api-key (repeatable; a key with every permission), --restricted-key (repeatable; a key without
the invoice PDF permission), --latency-ms ("300-600" uniform per call, "0" for none),
--per-row-ms (5.0 per row returned), --error-rate, --stall-rate, --stall-seconds (120),
--default-limit (50), --max-limit (300), --http-next (next/previous URLs always http://, even
behind a proxy that sends X-Forwarded-Proto: https, as api.wisphub.io was seen to do),
--today (YYYY-MM-DD, the tenant's "today"; default the date in its time zone, UTC-5, at start),
--task-seconds (3; how long a ping task runs), --rate-limit (calls per second of a token
bucket, 0 = off, the default) and --rate-limit-burst (10).

Keys and permissions. With no key option, two demo keys are accepted:
``Sbx4Demo.W1spHubSandboxKey000000000000001`` (every permission) and
``Sbx4NoPd.W1spHubSandboxKey000000000000002`` (everything but ``GET
/api/facturas/{id}/pdf/``). Giving any --api-key or --restricted-key replaces both. A missing,
malformed or unknown key, and a key without the endpoint's permission, all get the same
generic 403 ``{"detail": "Las credenciales de autenticación no se proveyeron."}``.

The API (all under /api/; the other slash spelling of a URL gets a 301, query kept, so a
redirected POST loses its body; unknown URLs a JSON 404; a wrong method a JSON 405; bodies over
10 MB a JSON 413; a 400 explains itself as ``{"error": "<sentence>"}``). Every list answers the
DRF envelope {count, next, previous, results} with limit/offset (``page`` ignored, limit clamped
to --max-limit). The ticket and invoice filters read a repeated parameter's last value, as
Django does.

- ``GET /api/clientes/``: filters cedula, telefono, usuario, ciudad, localidad (exact),
  id_servicio, plan_internet, router, sectorial, tecnico (ids), nombre, nombre__contains,
  apellido__contains, usuario__contains, telefono__contains (case and accent insensitive),
  estado (1 Activo, 2 Suspendido, 3 Cancelado, 4 Gratis), ordering=-id_servicio. Any other
  parameter is silently ignored; empty values are ignored.
- ``GET /api/clientes/{id}/``: detail field set (no estado_facturas/saldo/fecha_corte, plus
  facturas_pagadas, usuario null).
- ``GET|PUT /api/clientes/{id}/perfil/``: nombre, apellidos, cedula, direccion, localidad,
  ciudad, telefono, saldo (a decimal string). The list's ``nombre`` is "NOMBRE APELLIDOS", so a
  PUT of either part shows in the list. A PUT of saldo changes that number only; the invoices
  keep the seed's amounts.
- ``GET /api/clientes/{id}/saldo`` (canonical without slash; ``/saldo/`` answers 301 to it, so
  both work for a client that follows redirects): {nombre, saldo <number>, facturas: [the
  unpaid invoices, "Pendiente de Pago" and "En Revisión", as invoice rows]}.
- ``GET /api/plan-internet/`` ({id, nombre, tipo}), ``GET /api/plan-internet/pppoe/{id}/`` and
  ``/queue/{id}/`` (precio, bajada, subida, descripcion); the wrong type, and PCQ plans, 404.
- ``GET /api/zonas/`` {id, nombre}; ``GET /api/router/`` {id, nombre, ip "10.10.N.1",
  falla_general, falla_general_descripcion} (one router per zone, one in falla_general);
  ``GET /api/staff/`` {id, username, nombre, email}: the admin (6030000, admin@isp-demo, the
  creado_por of API tickets) and every technician the client rows name in tecnico.id;
  ``GET /api/formas-de-pago/`` {id, nombre}: 7 Efectivo, 8 Transferencia Bancaria, 9 Nequi,
  10 Daviplata, 11 PSE, 12 Tarjeta de Crédito.

Tickets (``ticket_data.py`` holds the vocabulary):

- ``GET /api/tickets/``: rows {id_ticket, asunto, descripcion, razon_falla, estado, prioridad,
  tecnico (name), email_tecnico, departamento, origen_reporte, fecha_creacion, fecha_inicio,
  fecha_fin, creado_por, tickets_mensual, tickets_anual, respuestas [{id, respuesta, fecha,
  usuario}], archivo_ticket, vencimiento, servicio {id_servicio, usuario, nombre, ip, zona,
  plan_internet, router, sectorial}}, dates ISO with -05:00, in id order. ``estado`` filters by
  code (1 Nuevo, 2 En Progreso, 3 Resuelto, 4 Cerrado; text or another number: 0 rows, no
  error) and answers in text; prioridad is text (Baja, Normal, Alta, Muy Alta). Window
  ``fecha_creacion_0``/``_1`` (YYYY-MM-DD or DD/MM/YYYY, both ends included; a lone _0 runs
  to today, a lone _1 starts 30 days before it); without one, only the last 30 days; more
  than 2 calendar months is 400. servicio, cliente, prioridad, tecnico, departamento and any
  other parameter are ignored.
- ``GET /api/tickets/{id}/``: one row. ``OPTIONS /api/tickets/``: DRF metadata listing the
  choices of asuntos_default, departamentos_default, estado and prioridad.
- ``POST /api/tickets/`` (JSON, multipart or urlencoded): servicio (id, required), asunto
  (required), asuntos_default (required, one of: Sin Internet, Internet Lento, Intermitencia,
  Cambio de Contraseña WiFi, Cambio de Plan, Traslado de Servicio, Revisión de Equipos,
  Instalación, Facturación, Otro Asunto; anything else is 400 with the list in the body under
  "asuntos_default"), tecnico (staff id; default the service's technician), descripcion,
  estado (1-4, default 1), prioridad (1-4, default 2), fecha_inicio / fecha_final
  ("dd/mm/YYYY HH:MM"; default now and now + the priority's SLA), departamento or
  departamentos_default (Soporte Técnico, Facturación, Ventas, Instalaciones) -> 201 with the
  row (origen_reporte "API", fecha_creacion now on the sandbox's today).
- Seeded tickets (seed 42: ids from 31001): about one closed or resolved ticket per 12 clients
  over the last 90 days, and open ones by zone: the first zone whose router is not in
  falla_general (NORTE, 63850) has 4 recent open tickets (a known outage by tickets); the
  other zones have at most 2 open tickets in any 2-month window, some of them 35-55 days old
  (visible only with an explicit window); the router in falla_general is RB-OCCIDENTE (63730).

Ping and tasks:

- ``POST /api/clientes/{id}/ping/`` {"pings": 1-10, "interfaz"?: text, "arp_ping"?: bool} ->
  202 {"task_id": <uuid>, "status": "PROCESS"}; bad pings 400; unknown client 404.
- ``GET /api/tasks/{task_id}/`` -> {"task": {"status", "result"}}: PENDING for the first third
  of the task's time, then PROCESS, then SUCCESS or FAILURE (the time is --task-seconds or the
  ``task_seconds`` knob when the task started); result null until then. An unknown task id is
  PENDING forever, as Celery answers (so is every id after /__reset); a malformed one 404.
- SUCCESS result: [{"ping-1": <line>}, ..., {"ping-exitoso": "k de n"}], each line a dict of
  strings (seq, host, size, ttl, time "1ms287us", sent, received, packet-loss, min-rtt,
  avg-rtt, max-rtt; status "timeout" or "host unreachable" when it failed) or a MikroTik error
  string. The scenario is ``service_id % 10`` (``ping.py``):
  0 FAILURE (result: a sentence); 1, 2, 3 the private IP (row ip) answers n of n; 4 the same
  but the first packet is lost (n-1 of n); 5 the MAC (mac_cpe, or 4C:5E:0C:… when empty)
  answers; 6 only a public IP (181.49.x.y, the antenna) answers; 7 every line "timeout" on the
  private IP; 8 every line "host unreachable" from the router's address (10.10.N.1);
  9 every line "input does not match any value of interface" (stale interfaz_lan). An
  explicit interfaz other than VLAN_INTERNET, ether1, ether2 or bridge gives that error line
  for any client. arp_ping is accepted and changes nothing.

Invoices (drawn lazily per client, see ``ledger.py``; a pure function of --seed and --today):

- Monthly invoices relative to --today: the newest issued in the last 4 weeks, due 5, 10 or 15
  days after issue, 3-12 per client, none for Gratis services. Consistent with each client
  row: Pagadas -> nothing unpaid (a negative saldo was overpaid on the newest invoice);
  Pendiente de Pago -> one unpaid, not yet due, total == saldo; Vencidas -> two unpaid, the
  older past due, totals summing to saldo. An id is (months since 2000) * 100000 + id_servicio
  (a larger power of ten past 99,999 clients).
- ``GET /api/facturas/``: rows {id_factura, folio null, fecha_emision, fecha_vencimiento
  (YYYY-MM-DD), fecha_pago (ISO with offset or null), estado ("Pendiente de Pago", "Pagada",
  "Cancelada", "En Revisión"), tipo, zona {id, nombre}, sub_total, descuento, saldo, total,
  total_cobrado (numbers), pasarela, referencia_pasarela, cajero {id, nombre} or null, cliente
  {usuario, nombre, email, cedula, direccion, localidad, telefono, rfc}, articulos [{id,
  cantidad, precio "65000.00", descripcion "Servicio de Internet PLAN\\nPeriodo del 1/Abr./2026
  al 30/Abr./2026", servicio {id_servicio}}]}, by id. Filters: estado (1 Pendiente de Pago,
  2 Pagada, 3 Cancelada, 4 En Revisión, 5 Transferida; anything else 0 rows), zona (id),
  cliente (usuario; a numeric id gives 0 rows), ``fecha_emision__range_0/_1``,
  ``fecha_vencimiento__range_0/_1``, ``fecha_pago__range_0/_1``, ``desde``/``hasta`` on
  ``tipo_fecha`` (emision by default, vencimiento, pago). A window over 92 days is 400; a lone
  end date means the 92 days before it, a lone start runs to today; with no window at all only
  invoices issued in the current month of --today are listed.
- ``GET /api/facturas/{id}/pdf/``: a one-page PDF (application/pdf); 403 for a restricted key.
- ``POST /api/promesa-pago/`` {id_factura, fecha_limite "YYYY-MM-DD" (today or later), accion
  0|1} -> 201 {id, id_factura, fecha_limite, accion}; accion 1 turns a Suspendido service
  Activo at once in every read. A paid, cancelled, unknown invoice, or one with a promise in
  force, 400. GET 405. A registered payment of the invoice ends the promise.
- ``POST /api/facturas/reportar-pago/{id}/`` multipart: forma_pago (a payment method id),
  fecha_pago ("YYYY-MM-DD[ HH:MM]" or DD/MM/YYYY), referencia, comprobante_pago, nombre_user
  and the file comprobante_pago_archivo (required, not empty) -> 201 {messages, id,
  id_factura, estado "En Revisión"}; the invoice stays unpaid, "En Revisión". A paid, cancelled
  or already reported invoice 400; unknown 404. The file is hashed, never kept or logged.
- ``POST /api/facturas/{id}/registrar-pago/`` {forma_pago, accion 0|1, fecha_pago "YYYY-MM-DD
  hh:mm", total_cobrado} -> 200 {"messages": ["Se agrego correctamente el pago"], "task_id"};
  the invoice's saldo falls by the amount (Pagada at 0), the client's saldo too, estado_facturas
  is derived again at once (no lag), accion 1 lifts a suspension; already paid 422. OPTIONS
  on it answers an HTML 500, as upstream.

Client 7 is always "ESPERANZA BENÍTEZ", direccion "BELLAVISTA", on the PPPoE plan "PLAN 10MB"
priced "40000.00". Client rows, plans and catalogues come from the seed's main RNG stream and
never depend on --today; staff names, tickets, invoices and pings draw from streams of their own.

Control plane (no auth, never counted, no latency):

- ``GET /__health`` -> {"status": "ok"}; ``GET /__clock`` -> {"today", "now"} of the tenant.
- ``GET /__stats`` -> {total, by_path, by_page, by_status} of /api/ calls (faulted ones too;
  by_page keys look like "/api/clientes/?limit=300&offset=0" for GETs of a list; a hang-up
  counts as "dropped"). ``POST /__stats/reset`` clears it.
- ``GET|POST /__fault`` {"mode", "path" (prefix, default "/api/"), "count" (calls before it
  reverts to ok), "delay" (seconds, for slow; default 2), "retry_after" (seconds, for
  rate_limited; default 5)}. Modes (every one on every /api/ path): ok, error (HTML 500),
  stall (no answer for --stall-seconds, then a normal one; any later POST to /__fault releases
  it), down (connection closed without an answer), slow (a correct answer after `delay`),
  invalid_json (a 2xx with its body cut in half), missing_fields (every row whose id ends in 0
  lacks id_servicio and nombre (clients), id_ticket and servicio (tickets), id_factura and
  cliente (invoices)), short_count (every list's count is 25 more than can be paged),
  forbidden (the generic 403), rate_limited (429, ``Retry-After: N``, DRF's Spanish detail).
  error, down, forbidden and rate_limited answer before the view, so a faulted write is not
  applied; a stalled or slow write is applied once it goes on.
- ``GET|POST /__latency`` {"latency_ms": "0" | "300-600", "per_row_ms", "error_rate",
  "stall_rate", "stall_seconds", "task_seconds", "rate_limit", "rate_limit_burst"}: change the
  knobs at run time. With rate_limit > 0, authenticated calls beyond the bucket get 429 with
  the seconds until the next token in Retry-After.
- ``GET /__billing`` -> {"promises", "reports" (receipt name, type, bytes, sha256),
  "payments"}: what the billing writes recorded.
- ``POST /__reset``: rebuild the data from the seed; forget created tickets, promises, payment
  reports, payments, tasks and reactivations; clear faults, stats, knobs and the bucket.

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
