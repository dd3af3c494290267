"""Time SearchIndex over 10,000 synthetic clients against a naive linear scan.

Run from the repository root: .venv/bin/python -m benchmarks.bench_search [--clients N] [--runs N]
Prints the build time, then per query type the mean and p99 latency in microseconds of the index
and of a linear scan over pre-folded words (the fairest naive baseline), and their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from wisphub_api.services.search import SearchIndex, within_one_edit
from wisphub_api.services.text import address_tokens, digits, split_alnum, tokens
from wisphub_api.upstream.models import Client
from wisphub_api.upstream.phones import split_phones

FIRST = [
    "María",
    "José",
    "Luis",
    "Ana",
    "Carlos",
    "Esperanza",
    "Jesús",
    "Andrés",
    "Sofía",
    "Ángela",
    "Juan",
    "Camila",
    "Sebastián",
    "Valentina",
    "Óscar",
    "Martín",
    "Lucía",
    "Héctor",
    "Nubia",
    "Yolanda",
    "Fabián",
    "Daniela",
    "Jhon",
    "Leidy",
    "Edwin",
    "Marisol",
    "Ramón",
    "Inés",
    "Wilson",
    "Gloria",
    "Álvaro",
    "Rubén",
    "Mónica",
    "Julián",
    "Nelly",
    "Hernán",
    "Dayana",
]
LAST = [
    "Rodríguez",
    "Gómez",
    "González",
    "Martínez",
    "García",
    "López",
    "Hernández",
    "Sánchez",
    "Ramírez",
    "Pérez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Álvarez",
    "Romero",
    "Benítez",
    "Castaño",
    "Ospina",
    "Vargas",
    "Quintero",
    "Cárdenas",
    "Zúñiga",
    "Peña",
    "Ríos",
    "Cifuentes",
    "Arango",
    "Londoño",
    "Montoya",
    "Valencia",
    "Mejía",
    "Ibáñez",
    "Beltrán",
]
PLACES = [
    "Bellavista",
    "La Esperanza",
    "El Porvenir",
    "Santa Rosa",
    "San José",
    "Las Palmas",
    "El Retiro",
    "La Paz",
    "Villa del Río",
    "Los Álamos",
    "Primero de Mayo",
    "El Carmen",
]
STREETS = ["CALLE", "CRA", "Carrera", "CL", "KR", "Cll", "Avenida"]
CITIES = ["POPAYÁN", "Cali", "Santander de Quilichao", "Timbío", "Piendamó", "Bogotá D.C."]
PLANS = [("PLAN 10MB", 40000.0), ("PLAN 20MB", 60000.0), ("PLAN 50MB", 85000.0)]


def make_address(rng: random.Random) -> str:
    """Return a Colombian-looking address."""
    kind = rng.random()
    if kind < 0.45:
        number = f"{rng.randint(1, 80)}{rng.choice(['', '', 'A', 'B'])}"
        return (
            f"{rng.choice(STREETS)} {number} {rng.choice(['#', 'No.', 'N°'])} "
            f"{rng.randint(1, 99)}-{rng.randint(1, 99)}"
        )
    prefix = "VDA" if kind < 0.7 else rng.choice(["B/", "Barrio", "V/"])
    return (
        f"{prefix} {rng.choice(PLACES)}".upper()
        if rng.random() < 0.5
        else f"{prefix} {rng.choice(PLACES)}"
    )


def make_clients(count: int, seed: int = 7) -> list[Client]:
    """Return ``count`` synthetic clients (deterministic for a seed)."""
    rng = random.Random(seed)
    clients = []
    for service_id in range(1, count + 1):
        name = " ".join(rng.sample(FIRST, rng.choice([1, 1, 2])) + rng.sample(LAST, 2))
        phone = (
            f"3{rng.randint(0, 2)}{rng.randint(0, 9)} {rng.randint(100, 999)} "
            f"{rng.randint(1000, 9999)}"
        )
        if rng.random() < 0.15:
            phone += f", 31{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}"
        plan, price = rng.choice(PLANS)
        clients.append(
            Client(
                service_id=service_id,
                name=name.upper() if rng.random() < 0.6 else name,
                document=str(rng.randint(10_000_000, 1_199_999_999)),
                phone=phone,
                phones=split_phones(phone),
                address=make_address(rng),
                city=rng.choice(CITIES),
                locality=rng.choice(PLACES),
                service_status="Activo",
                payment_status="Pagadas",
                zone_id=1,
                antenna_ip=None,
                cut_off_date=None,
                outstanding_balance=0.0,
                lan_interface=None,
                internet_plan_name=plan,
                internet_plan_price=price,
                technician_id=None,
            )
        )
    return clients


def make_queries(clients: list[Client]) -> dict[str, list[str]]:
    """Return the benchmark's queries by type, some taken from the data."""
    some = clients[::997][:6]
    return {
        "one name": ["María", "rodriguez", "Esperanza", "Zúñiga", "jhon"],
        "two words": ["maria gomez", "Benítez Esperanza", "ospina valencia", "carlos bellavista"],
        "typo": ["Rodrigues", "Esperansa", "Hernandes", "Valensia", "Montolla"],
        "prefix": ["Esper", "Rodr", "Quint", "Sebas"],
        "address": ["la esperanza", "vereda el porvenir", "calle 10", "B/ La Paz"],
        "document": [client.document or "" for client in some],
        "phone": ["+57 " + (client.phone or "").split(",")[0] for client in some],
        "no match": ["zzzz qqqq", "Xiomarax", "maria 99999999", "Pérez Zapata Quiñónez"],
    }


class LinearScan:
    """The naive baseline: every client's words folded once, every query checks them all."""

    def __init__(self, clients: list[Client]) -> None:
        self.rows = []
        for client in sorted(clients, key=lambda c: c.service_id):
            name = set(split_alnum(tokens(client.name)))
            ids = {digits(client.document), *client.phones}
            self.rows.append((client, name, name | ids | set(address_tokens(client.address)), ids))

    def search(self, query: str, limit: int = 20) -> list[Client]:
        """Return up to ``limit`` clients, ranked like the index (tiers, then service id)."""
        words = address_tokens(query)
        compact = digits(query)[-10:]
        hits = []
        for client, name, every, ids in self.rows:
            tier = 0 if compact and compact in ids else self._tier(words, name, every)
            if tier is not None:
                hits.append((tier, client.service_id, client))
        hits.sort(key=lambda hit: hit[:2])
        return [client for _, _, client in hits[:limit]]

    @staticmethod
    def _tier(words: list[str], name: set[str], every: set[str]) -> int | None:
        """Return the tier of one client, or None when a query word matches nothing."""
        if not words:
            return None
        if all(word in name for word in words):
            return 1
        if all(word in every for word in words):
            return 2
        for word in words:
            if not any(
                word == other
                or (len(word) >= 3 and other.startswith(word))
                or (len(word) >= 5 and within_one_edit(word, other))
                for other in every
            ):
                return None
        return 3


def timings(search: Callable[[str], object], queries: list[str], runs: int) -> list[float]:
    """Return one latency (µs) per query per run."""
    samples = []
    for _ in range(runs):
        for query in queries:
            started = time.perf_counter_ns()
            search(query)
            samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def p99(samples: list[float]) -> float:
    """Return the 99th percentile of ``samples``."""
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def main() -> None:
    """Build, run the query mix, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    clients = make_clients(args.clients)
    started = time.perf_counter()
    index = SearchIndex.build(clients)
    print(f"clients: {len(clients)}  index build: {(time.perf_counter() - started) * 1000:.0f} ms")
    naive = LinearScan(clients)
    print(
        f"{'query type':<11} {'index p50':>10} {'index mean':>11} {'index p99':>10} "
        f"{'scan mean':>10} {'scan p99':>10} {'ratio':>7}   (µs; ratio of means)"
    )
    for kind, queries in make_queries(clients).items():
        fast = timings(index.search, queries, args.runs)
        slow = timings(naive.search, queries, max(1, args.runs // 100))
        ratio = statistics.mean(slow) / statistics.mean(fast)
        print(
            f"{kind:<11} {statistics.median(fast):>10.1f} {statistics.mean(fast):>11.1f} "
            f"{p99(fast):>10.1f} {statistics.mean(slow):>10.0f} {p99(slow):>10.0f} "
            f"{ratio:>6.0f}x"
        )


if __name__ == "__main__":
    main()
