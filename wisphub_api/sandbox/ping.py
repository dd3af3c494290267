"""Ping results as WispHub's router task returns them, one deterministic scenario per client.

The scenario is `service_id % 10` (SCENARIOS below). Each `ping-N` value is a dict of strings
(MikroTik's /ping columns) or a MikroTik error string; the list ends with {"ping-exitoso"}.
An explicit `interfaz` the router does not have gives the interface error whatever the client.
"""

from __future__ import annotations

import random
from typing import Any

SCENARIOS = {
    0: "failure",  # the task itself fails (FAILURE)
    1: "reply_ip",  # the client's private IP answers every ping
    2: "reply_ip",
    3: "reply_ip",
    4: "reply_ip_loss",  # the private IP answers all but the first ping
    5: "reply_mac",  # the client's MAC answers (MAC ping)
    6: "antenna_only",  # only a public IP (the antenna) answers
    7: "timeout",  # nothing answers: every line "timeout"
    8: "unreachable",  # nothing answers: the router says "host unreachable"
    9: "interface_error",  # interfaz_lan is stale: MikroTik's error string on every line
}
INTERFACE_ERROR = "input does not match any value of interface"
FAILURE_MESSAGE = "No se pudo conectar con el router: tiempo de espera agotado."
ROUTER_INTERFACES = frozenset({"VLAN_INTERNET", "ether1", "ether2", "bridge"})
PACKET_SIZE = "56"


def scenario(service_id: int) -> str:
    """Return the ping scenario of a service."""
    return SCENARIOS[service_id % 10]


def rtt(microseconds: int) -> str:
    """Format a round trip as MikroTik prints it: "1ms287us", "678us", "12ms"."""
    millis, micros = divmod(microseconds, 1000)
    if millis and micros:
        return f"{millis}ms{micros}us"
    return f"{millis}ms" if millis else f"{micros}us"


def public_ip(service_id: int) -> str:
    """Return the public address the client's antenna answers from."""
    return f"181.49.{(service_id // 250) % 256}.{service_id % 250 + 2}"


def mac_host(row: dict[str, Any]) -> str:
    """Return the client's MAC (mac_cpe, or one derived from the service id)."""
    sid = row["id_servicio"]
    return row["mac_cpe"] or f"4C:5E:0C:{sid >> 16 & 255:02X}:{sid >> 8 & 255:02X}:{sid & 255:02X}"


class _Counter:
    """Running sent/received/rtt columns of one MikroTik ping session."""

    def __init__(self) -> None:
        self.sent = self.received = 0
        self.times: list[int] = []

    def line(self, seq: int, host: str, micros: int | None, status: str = "") -> dict[str, str]:
        self.sent += 1
        line = {"seq": str(seq), "host": host, "size": PACKET_SIZE}
        if micros is not None and not status:
            self.received += 1
            self.times.append(micros)
            line.update({"ttl": "64", "time": rtt(micros)})
        elif status == "host unreachable":
            line.update({"ttl": "64", "time": rtt(micros or 1000), "status": status})
        else:
            line["status"] = status
        loss = round(100 * (self.sent - self.received) / self.sent)
        line.update(
            {"sent": str(self.sent), "received": str(self.received), "packet-loss": str(loss)}
        )
        if self.times:
            average = sum(self.times) // len(self.times)
            line.update(
                {
                    "min-rtt": rtt(min(self.times)),
                    "avg-rtt": rtt(average),
                    "max-rtt": rtt(max(self.times)),
                }
            )
        return line


def _lines(
    kind: str, row: dict[str, Any], pings: int, gateway: str, rng: random.Random
) -> list[Any]:
    counter, sid = _Counter(), row["id_servicio"]
    lines: list[Any] = []
    for seq in range(pings):
        if kind == "interface_error":
            lines.append(INTERFACE_ERROR)
        elif kind in ("reply_ip", "reply_ip_loss"):
            lost = kind == "reply_ip_loss" and seq == 0
            micros = None if lost else rng.randint(600, 15000)
            lines.append(counter.line(seq, row["ip"], micros, "timeout" if lost else ""))
        elif kind == "reply_mac":
            lines.append(counter.line(seq, mac_host(row), rng.randint(600, 9000)))
        elif kind == "antenna_only":
            lines.append(counter.line(seq, public_ip(sid), rng.randint(20000, 60000)))
        elif kind == "unreachable":
            lines.append(counter.line(seq, gateway, rng.randint(300, 2000), "host unreachable"))
        else:
            lines.append(counter.line(seq, row["ip"], None, "timeout"))
    return lines


def ping_outcome(
    seed: int, row: dict[str, Any], pings: int, interfaz: str | None, gateway: str
) -> tuple[str, Any]:
    """Return the task's final (status, result) for pinging this client `pings` times.

    `gateway` is the address of the client's router, which answers "host unreachable".
    """
    kind = scenario(row["id_servicio"])
    if interfaz is not None and interfaz not in ROUTER_INTERFACES:
        kind = "interface_error"
    if kind == "failure":
        return "FAILURE", FAILURE_MESSAGE
    rng = random.Random(f"{seed}:ping:{row['id_servicio']}")
    lines = _lines(kind, row, pings, gateway, rng)
    replies = sum(1 for line in lines if isinstance(line, dict) and "status" not in line)
    result: list[dict[str, Any]] = [{f"ping-{i}": line} for i, line in enumerate(lines, 1)]
    result.append({"ping-exitoso": f"{replies} de {pings}"})
    return "SUCCESS", result
