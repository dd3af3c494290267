"""Shared state: what every worker of a deployment must agree on, kept off the request path.

Two stores speak one protocol (``base.SharedStore``): Redis, shared by every worker and host, and
an embedded SQLite file shared by the workers of one host, used when no Redis is configured. Both
hold only small records — counters of failed verifications, locks, idempotency records, the log of
writes that readers lay over their snapshots — and are always reached through ``guard.Guarded``:
short timeouts and a breaker, so an unreachable store costs one timeout per interval, not one per
request, and is logged once per change of state. Reads of client and plan data never touch them.
"""
