"""gunicorn's gevent worker, fair between connections, bounded, shedding, JSON at its refusals.

    gunicorn -k wisphub_api.serving.worker.WispHubWorker ...   (gunicorn.conf.py sets it)

Measured on 2 cores against gunicorn's own ``gevent`` worker (wrk -t2 -c64, cached routes):

- a keep-alive connection whose next request is already buffered was served again and again
  without returning to the event loop, while other connections and the listening socket
  starved (p99 1.2 s, requests timing out at 2 s). Here each connection yields after a request;
- with one listening socket shared by the workers, gunicorn accepts one connection per loop
  pass so that one worker does not take them all, and new connections queued for seconds behind
  busy passes. Here every worker has its own socket (``reuse_port``: the kernel spreads
  connections evenly) and accepts up to ``max_accept`` per pass.

A worker joins the port's sockets only once it can answer (the app created, which adopts the
snapshot on disk): until then connections queue on a socket the master holds, instead of on the
booting worker's own (``listeners`` says what that cost after a restart).
"""

from __future__ import annotations

import errno
import io
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import gevent
from gevent.pool import Pool
from gevent.server import StreamServer
from gunicorn import http, util
from gunicorn.workers.ggevent import GeventWorker

from wisphub_api.observability.requestlog import (
    REQUEST_ID_HEADER,
    UNMATCHED_ROUTE,
    log_request_line,
    request_id_from,
)
from wisphub_api.services.memory import fix_mmap_threshold
from wisphub_api.serving import answers, listeners, rawhead
from wisphub_api.serving.admission import Admission, LoopLag
from wisphub_api.serving.connections import ConnectionTable
from wisphub_api.serving.limits import open_files_capacity
from wisphub_api.serving.settings import ServingSettings
from wisphub_api.serving.telemetry import WorkerTelemetry
from wisphub_api.serving.writes import CoalescedWrites
from wisphub_api.translatable import best_language

# A client gone mid-answer, or an idle connection this worker closed itself: nothing to report.
_QUIET_ERRNOS = frozenset({errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.EBADF})
_HEADER_NAME = REQUEST_ID_HEADER.upper()
_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode("ascii")
# What one read takes of a request while shedding: gunicorn's own read size.
_RECV_BYTES = 8192
# Stands for a request refused from its raw bytes, which has nothing left to serve.
_REFUSED = object()


class WispHubWorker(GeventWorker):
    """Serve HTTP/1.1 with gevent: fairly, within bounds, refusing overload and bad HTTP in JSON."""

    serving = ServingSettings()  # gunicorn.conf.py's post_fork hook passes the configured ones
    sockets: list[Any]
    joins_when_ready = False  # set when it left the port's group to boot (listeners.leave_group)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Made in the master before the fork: its listeners, which the child replaces with its
        # own under reuse_port.
        self.shared_sockets = list(self.sockets)

    def configure(self, settings: ServingSettings) -> None:
        """Use ``settings`` instead of the defaults (called before the worker starts)."""
        self.serving = settings

    def init_process(self) -> None:
        """Leave the port's group, raise the open-files limit, fix the allocator's mmap threshold,
        then boot as gunicorn does."""
        listeners.leave_group(self, self.shared_sockets)
        self.capacity = open_files_capacity(self.worker_connections, self.log)
        fix_mmap_threshold()  # snapshots' large buffers go back to the OS when dropped
        install_date_cache()
        super().init_process()

    # -- the event loop -----------------------------------------------------------------------
    def run(self) -> None:
        """Join the port's group, accept on every socket until told to stop, then drain."""
        self.sockets = [*self.sockets, *listeners.join_group(self)]
        settings = self.serving
        reserve = int(self.capacity * settings.idle_reserve)
        self.connections = ConnectionTable(self.capacity, reserve)
        lag = LoopLag(settings.lag_probe_seconds)
        self.admission = Admission(settings, lag)
        self.telemetry = WorkerTelemetry.create()
        probe = gevent.spawn(lag.run, gevent.sleep)
        servers = [self._start_server(sock) for sock in self.sockets]
        try:
            while self.alive:
                self.notify()
                self.telemetry.sample(self.connections, lag.last)
                gevent.sleep(1.0)
            self._drain(servers)
        finally:
            probe.kill(block=False)

    def _start_server(self, sock: Any) -> StreamServer:
        sock.setblocking(1)
        ssl_args: dict[str, Any] = {}
        if self.cfg.is_ssl:
            from gunicorn.sock import ssl_context

            ssl_args["ssl_context"] = ssl_context(self.cfg)
        server = StreamServer(
            sock, handle=partial(self.handle, sock), spawn=Pool(self.capacity), **ssl_args
        )
        server.max_accept = self.serving.max_accept
        server.start()
        return server

    def _drain(self, servers: list[StreamServer]) -> None:
        """Stop accepting, close idle connections, let requests in flight finish in time."""
        for server in servers:
            server.close()
        self.connections.close_idle()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline:
            if all(server.pool.free_count() == server.pool.size for server in servers):
                return
            self.notify()
            gevent.sleep(0.1)
        self.log.warning("Worker graceful timeout (pid:%s)", self.pid)
        for server in servers:
            server.stop(timeout=1)

    # -- one connection -----------------------------------------------------------------------
    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve the requests of one connection, each within its time, yielding between them."""
        if "h2" in (getattr(self.cfg, "http_protocols", None) or ()):
            super().handle(listener, client, addr)  # HTTP/2 keeps gunicorn's own loop
            return
        client.setblocking(1)
        table = self.connections
        table.opened()
        req = None
        try:
            parser = http.get_parser(self.cfg, client, addr)
            listener_name = listener.getsockname()
            timeout = self.serving.request_header_timeout
            lag = self.admission.lag
            # The first request is served even once the worker stops: the kernel handed this
            # connection over (from the master's socket, say), and closing it unread is a reset.
            first = True
            while first or self.alive:
                first, req, admitted = False, None, False
                table.idle(client)
                with gevent.Timeout(timeout, False):
                    req, admitted = self._next_request(parser, client, addr)
                table.busy(client)
                if req is None:
                    break  # nothing (complete) within the timeout: close without an answer
                if req is not _REFUSED:
                    self.handle_request(listener_name, req, client, addr, admitted)
                timeout = self.cfg.keepalive
                # Every other ready connection is served before this one again, even when its
                # next request is already buffered (recv would not yield to the event loop);
                # how long that took is what any ready connection waits now (admission).
                yielded = time.monotonic()
                gevent.sleep(0)
                lag.turn(time.monotonic() - yielded)
        except (http.errors.NoMoreData, StopIteration):
            pass
        except OSError as exc:
            if exc.errno not in _QUIET_ERRNOS:
                self.log.debug("socket error on a connection: %s", type(exc).__name__)
        except Exception as exc:
            self.handle_error(req, client, addr, exc)
        finally:
            table.closed(client)
            util.close(client)

    def _next_request(self, parser: Any, client: Any, addr: Any) -> tuple[Any, bool]:
        """Return the connection's next request and whether admission has taken it already.

        While the worker sheds, the request's raw bytes are read first: a plain one that is
        refused is answered from them (``rawhead``), never parsed, and ``_REFUSED`` returned;
        the bytes of any other go back to gunicorn's parser, which reads them as if from the
        socket. Otherwise the parser reads the socket itself, as gunicorn does.
        """
        if not self.admission.shedding_now or _buffered(parser):
            return next(parser), False
        previous = parser.mesg
        # What the parser checks before reading a request: the last one let the connection
        # stay open, and its unread body (if any) is discarded.
        if previous is not None and (previous.should_close() or not parser.finish_body()):
            raise StopIteration()
        data = client.recv(_RECV_BYTES)
        if not data:
            raise StopIteration()
        self.connections.busy(client)  # a request has come: never closed as idle from here
        head = rawhead.quick_head(data, _ID_HEADER_RAW)
        if head is not None:
            reason = self.admission.refusal(head.path)
            if reason is not None:
                self._shed_quickly(head, client, addr, reason)
                return _REFUSED, True
        parser.unreader.unread(data)
        return next(parser), head is not None

    def handle_request(
        self, listener_name: Any, req: Any, sock: Any, addr: Any, admitted: bool = False
    ) -> None:
        """Serve one request, or answer 503 at once when the worker is overloaded (unless
        admission has ``admitted`` it already)."""
        reason = None if admitted else self.admission.refusal(req.path)
        if reason is not None:
            self._shed(req, sock, addr, reason)
            return
        admission = self.admission
        admission.in_flight += 1
        # gunicorn's writes of the answer, sent together once it is written (writes.py).
        writes = CoalescedWrites(sock)
        try:
            super().handle_request(listener_name, req, writes, addr)
        except StopIteration:  # answered, and the connection closes after it
            writes.flush()
            raise
        else:
            writes.flush()
        finally:
            admission.in_flight -= 1

    def _shed(self, req: Any, sock: Any, addr: Any, reason: str) -> None:
        keep_alive = not req.should_close() and not _has_body(req)
        self._shed_with(sock, addr, reason, keep_alive, Asked.of(req))

    def _shed_quickly(self, head: rawhead.QuickHead, sock: Any, addr: Any, reason: str) -> None:
        asked = Asked(head.method, head.request_id, head.accept_language)
        self._shed_with(sock, addr, reason, head.keep_alive, asked)

    def _shed_with(self, sock: Any, addr: Any, reason: str, keep_alive: bool, asked: Asked) -> None:
        headers = (("Retry-After", str(self.serving.retry_after)),)
        self._refuse(asked, sock, addr, answers.OVERLOADED, headers, keep_alive, reason)
        if not keep_alive:
            raise StopIteration()

    # -- what gunicorn refuses ----------------------------------------------------------------
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """Answer a request gunicorn could not parse (or serve) in JSON, and log it once."""
        refusal, reason = answers.refusal_for(exc), "parse"
        if refusal is None:
            refusal, reason = answers.INTERNAL_ERROR, "error"
            # The exception's text may quote the request; its type and traceback do not.
            self.log.error("Error handling a request: %s", type(exc).__name__, exc_info=exc)
        else:
            self.log.debug("Refused a request: %s", type(exc).__name__)
        req = req if req is not None else getattr(exc, "req", None)
        try:
            self._refuse(Asked.of(req), client, addr, refusal, (), False, reason)
        except OSError:
            self.log.debug("Failed to send an error answer.")

    def _refuse(
        self,
        asked: Asked,
        sock: Any,
        addr: Any,
        refusal: answers.Refusal,
        headers: tuple[tuple[str, str], ...],
        keep_alive: bool,
        reason: str,
    ) -> None:
        """Log a refusal's line (route ``<unmatched>``), count it, then write it as JSON with
        ``headers`` and its request id.

        Logged first, like the app's answers: once the client has the answer, its line is there.
        """
        status, code = refusal[0], refusal[2]
        request_id = request_id_from(asked.request_id)
        log_request_line(
            method=asked.method or "-",
            route=UNMATCHED_ROUTE,
            status=status,
            duration_ms=0.0,
            remote_addr=_peer(addr),
            cache=None,
            request_id=request_id,
        )
        self.telemetry.refused(status, code, reason)
        # A request gunicorn could not parse has no Accept-Language to go by.
        language = best_language(asked.accept_language, self.serving.default_language)
        raw = answers.json_answer_for(
            refusal,
            request_id,
            id_header=REQUEST_ID_HEADER,
            headers=headers,
            keep_alive=keep_alive,
            language=language,
        )
        if asked.method == "HEAD":  # the same head, and no body: the client reads none
            raw = raw[: raw.index(b"\r\n\r\n") + 4]
        sock.sendall(raw)


def install_date_cache() -> None:
    """Format gunicorn's Date header once a second, not once an answer (2 % of a cached one)."""
    formatted: dict[int, str] = {}
    original = util.http_date

    def http_date(timestamp: float | None = None) -> str:
        if timestamp is not None:
            return str(original(timestamp))
        second = int(time.time())
        value = formatted.get(second)
        if value is None:
            formatted.clear()
            value = formatted[second] = str(original(second))
        return value

    util.http_date = http_date


@dataclass(frozen=True, slots=True)
class Asked:
    """What a refusal echoes of its request: method, request id and Accept-Language."""

    method: str | None
    request_id: str | None
    accept_language: str

    @classmethod
    def of(cls, req: Any) -> Asked:
        """Read them from a request gunicorn parsed (or None, when it could not)."""
        return cls(
            getattr(req, "method", None),
            _header(req, _HEADER_NAME),
            _header(req, "ACCEPT-LANGUAGE") or "",
        )


def _buffered(parser: Any) -> bool:
    """Tell whether the parser holds bytes read ahead (a pipelined request's, say)."""
    return bool(parser.unreader.buf.seek(0, io.SEEK_END))


def _header(req: Any, name: str) -> str | None:
    for key, value in getattr(req, "headers", None) or ():
        if key == name:
            return str(value)
    return None


def _has_body(req: Any) -> bool:
    length = _header(req, "CONTENT-LENGTH")
    return bool(length and length.strip() not in ("", "0")) or bool(
        _header(req, "TRANSFER-ENCODING")
    )


def _peer(addr: Any) -> str | None:
    if isinstance(addr, tuple) and addr:
        return str(addr[0])
    return None
