"""The numbers and the Markdown of the scale bench (issue 13): pure functions, no processes.

``benchmarks.scale`` measures; this module turns what it measured into figures (percentiles, the
share answered ``STALE``, listings per TTL, memory growth) and renders the table with each figure
beside the issue's target, so the tests can check the arithmetic and the rendering on sample data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from benchmarks.machine import Machine, machine_rows
from benchmarks.markdown import num, table
from benchmarks.stats import percentile

MIB = 1024 * 1024
# The targets.
STALL_P99_MS = 50.0
STALL_MAX_MS = 200.0
WARM_FIRST_MS = 50.0
RSS_MAX_MIB = 200.0  # at 50,000 clients
RSS_FLAT_PCT = 10.0  # "flat": what this report calls flat (the soak's limit too)
LISTINGS_PER_TTL = 1.0
RSS_TARGET_AT = 50_000
# The listing's paging parameters: a call with any other parameter is a filtered lookup.
PAGING_PARAMS = frozenset({"limit", "offset"})


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed request: which probe, how long, the status and its X-Cache."""

    probe: str  # "search" or "lookup"
    ms: float
    status: int | None  # None: no answer
    cache: str = ""


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of a set of samples, and the share of them answered STALE or not 2xx."""

    count: int
    p50: float
    p99: float
    max: float
    stale_share: float
    failed: int

    def meets(self, p99: float = STALL_P99_MS, worst: float = STALL_MAX_MS) -> bool:
        """Tell whether p99 and max are within the targets."""
        return self.count > 0 and self.p99 <= p99 and self.max <= worst


def summarise(samples: Iterable[Sample]) -> Latency:
    """Return the percentiles (nearest rank) of the samples; zeros when there are none."""
    items = list(samples)
    if not items:
        return Latency(0, 0.0, 0.0, 0.0, 0.0, 0)
    ordered = sorted(s.ms for s in items)
    stale = sum(1 for s in items if s.cache == "STALE")
    failed = sum(1 for s in items if s.status is None or not 200 <= s.status < 300)
    return Latency(
        count=len(items),
        p50=percentile(ordered, 0.50),
        p99=percentile(ordered, 0.99),
        max=ordered[-1],
        stale_share=stale / len(items),
        failed=failed,
    )


def is_listing_start(page_key: str, path: str = "/api/clientes/") -> bool:
    """Tell whether a sandbox ``by_page`` key is the first page of a full listing of ``path``.

    A listing reads pages by ``limit``/``offset`` only, from offset 0; a lookup by id, document
    or phone is the same path with a filter parameter, and a later page has another offset.
    """
    parts = urlsplit(page_key)
    if parts.path != path:
        return False
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return set(query) <= PAGING_PARAMS and query.get("offset", "0") == "0"


def listings(by_page: Mapping[str, int], path: str = "/api/clientes/") -> int:
    """Count the full listings of ``path`` in a ``/__stats`` ``by_page`` count."""
    return sum(n for key, n in by_page.items() if is_listing_start(key, path))


def filtered_calls(by_page: Mapping[str, int], path: str = "/api/clientes/") -> int:
    """Count the filtered calls of ``path`` (lookups by id, document or phone)."""
    return sum(
        n
        for key, n in by_page.items()
        if urlsplit(key).path == path
        and set(dict(parse_qsl(urlsplit(key).query, keep_blank_values=True))) - PAGING_PARAMS
    )


def page_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Return the ``by_page`` counts added between two ``/__stats`` snapshots."""
    return {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0) > 0}


def growth_pct(before: float, after: float) -> float | None:
    """Return the growth from ``before`` to ``after`` in percent (None without a baseline)."""
    return None if before <= 0 else (after - before) / before * 100.0


@dataclass(frozen=True, slots=True)
class First:
    """The first answer of a probe: time, status, X-Cache, X-Cache-Age and Retry-After."""

    ms: float
    status: int | None
    cache: str = ""
    age: str = ""
    retry_after: str = ""

    def describe(self) -> str:
        """Return "12 ms (200 STALE, age 31 s)" or "9,800 ms (503, Retry-After 2)"."""
        status = "no answer" if self.status is None else str(self.status)
        extras = [status]
        if self.cache:
            extras[0] += f" {self.cache}"
        if self.age:
            extras.append(f"age {self.age} s")
        if self.retry_after:
            extras.append(f"Retry-After {self.retry_after}")
        return f"{num(self.ms)} ms ({', '.join(extras)})"


@dataclass(slots=True)
class ScaleRow:
    """Everything measured for one size and one shared-state mode."""

    clients: int
    mode: str  # "SimpleCache" or "Redis"
    ttl: int = 20
    window_s: float = 0.0
    refreshes_in_window: int = 0
    search: Latency = field(default_factory=lambda: summarise([]))
    lookup: Latency = field(default_factory=lambda: summarise([]))
    warm_lookup: First | None = None
    warm_search: First | None = None
    warm_max_ms: float | None = None  # the worst of the first requests after the restart
    cold_lookup: First | None = None
    cold_lookup_upstream: int | None = None  # filtered calls the cold lookups made
    cold_search: First | None = None
    cold_ready_s: float | None = None
    rss_warm_mib: float | None = None  # largest worker, right after the first warm-up
    rss_start_mib: float | None = None  # largest worker, at the start of the refresh phase
    rss_end_mib: float | None = None  # largest worker, after the refreshes
    rss_growth_pct: float | None = None  # the worst worker's growth across the refreshes
    builder_rss_mib: float | None = None  # the largest builder process seen
    refreshes: int = 0  # refreshes seen in the memory phase
    rss_trail: list[float] = field(default_factory=list)  # largest worker after each refresh
    refresh_ttl: int = 0
    listings: int = 0  # listings during the stall window
    page_ms: float | None = None
    full_plain_ms: float | None = None
    full_gzip_ms: float | None = None
    plain_bytes: int | None = None
    gzip_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def listings_per_ttl(self) -> float | None:
        """Return the listings per TTL during the stall window."""
        if self.window_s <= 0:
            return None
        return self.listings / (self.window_s / self.ttl)

    @property
    def warm_worst_first_ms(self) -> float | None:
        """Return the slower of the first lookup and the first search after the restart."""
        firsts = [f.ms for f in (self.warm_lookup, self.warm_search) if f is not None]
        return max(firsts) if firsts else None


@dataclass(frozen=True, slots=True)
class HostsRow:
    """Two hosts (two gunicorns, each its own STATE_DIR) on one sandbox: who fetched what."""

    clients: int
    mode: str
    ttl: int
    window_s: float
    listings: int  # listings WispHub served in the window
    snapshots: tuple[int, int]  # new snapshots each host wrote in the window

    @property
    def expected(self) -> int:
        """Return the listings the design allows: one per refresh per deployment or host."""
        a, b = self.snapshots
        return max(a, b) if self.mode == "Redis" else a + b

    @property
    def fetchers(self) -> int:
        """Return how many hosts fetch from WispHub: one with Redis, each host without."""
        return 1 if self.mode == "Redis" else len(self.snapshots)

    def meets(self) -> bool:
        """Tell whether WispHub saw no more listings than the design allows.

        Each fetching host may have one listing in flight at the end of the window (started,
        its snapshot not written yet): one more than the snapshots per fetcher.
        """
        return self.listings <= self.expected + self.fetchers

    @property
    def per_ttl(self) -> float:
        """Return the listings per TTL of the whole deployment."""
        return self.listings / (self.window_s / self.ttl) if self.window_s > 0 else 0.0


HOSTS_HEADERS = (
    "Clients",
    "Shared state",
    "TTL",
    "Window",
    "New snapshots, host A / host B",
    "Listings at WispHub",
    "6. Listings per TTL, deployment (1 with Redis, 1 per host without)",
)


def render_hosts(rows: Sequence[HostsRow]) -> list[str]:
    """Return the Markdown lines of the two-host table."""
    cells = [
        [
            f"{r.clients:,}",
            r.mode,
            f"{r.ttl} s",
            f"{num(r.window_s)} s",
            f"{r.snapshots[0]} / {r.snapshots[1]}",
            f"{r.listings} (design: {r.expected}){mark(r.meets())}",
            f"{r.per_ttl:.2f}",
        ]
        for r in rows
    ]
    return table(HOSTS_HEADERS, cells)


def mark(ok: bool | None) -> str:
    """Return the verdict sign of a cell: ✓, ✗, or nothing when there is no target."""
    return "" if ok is None else (" ✓" if ok else " ✗")


def latency_cell(latency: Latency) -> str:
    """Return "3 / 12 / 48 ✓": p50 / p99 / max in ms and the verdict against the targets."""
    if latency.count == 0:
        return "—"
    failed = f", {latency.failed} failed" if latency.failed else ""
    return (
        f"{num(latency.p50, 1)} / {num(latency.p99, 1)} / {num(latency.max)}"
        f"{mark(latency.meets() and not latency.failed)}{failed}"
    )


def size_text(size: int | None) -> str:
    """Return a byte count as "661 KB" or "22.0 MB" (decimal units, like the issue)."""
    if size is None:
        return "—"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} KB"


def rss_cell(row: ScaleRow) -> str:
    """Return "70 → 84 MiB (+2.1 %) ✓" for the memory phase; the size target applies at 50k."""
    if row.rss_start_mib is None or row.rss_end_mib is None:
        return "—"
    growth = row.rss_growth_pct
    flat = None if growth is None else growth < RSS_FLAT_PCT
    small = row.rss_end_mib <= RSS_MAX_MIB if row.clients >= RSS_TARGET_AT else True
    verdict = None if flat is None else (flat and small)
    growth_text = "" if growth is None else f" ({growth:+.1f} %)"
    return (
        f"{num(row.rss_start_mib)} → {num(row.rss_end_mib)} MiB{growth_text}, "
        f"{row.refreshes} refreshes{mark(verdict)}"
    )


def warm_cell(row: ScaleRow) -> str:
    """Return the first lookup and search after a restart against the 50 ms target."""
    worst = row.warm_worst_first_ms
    if worst is None or row.warm_lookup is None or row.warm_search is None:
        return "—"
    ok = worst <= WARM_FIRST_MS and all(f.status == 200 for f in (row.warm_lookup, row.warm_search))
    return f"lookup {row.warm_lookup.describe()}; search {row.warm_search.describe()}{mark(ok)}"


def cold_cell(row: ScaleRow) -> str:
    """Return the cold lookup (and its filtered upstream calls) and the cold search."""
    if row.cold_lookup is None or row.cold_search is None:
        return "—"
    calls = "" if row.cold_lookup_upstream is None else f", {row.cold_lookup_upstream} filtered"
    return f"lookup {row.cold_lookup.describe()}{calls}; search {row.cold_search.describe()}"


def listings_cell(row: ScaleRow) -> str:
    """Return "1.25 (4 listings, 4 snapshots in 60 s) ✓": one listing per snapshot built.

    The snapshot is refreshed ahead (at REFRESH_AHEAD_FRACTION of the TTL), so one listing per
    refresh is 1.25 per TTL at the default 0.8; the verdict is one listing per snapshot this host
    built (a listing still in flight at the end of the window allowed), whatever the workers.
    """
    per_ttl = row.listings_per_ttl
    if per_ttl is None:
        return "—"
    ok = row.listings <= row.refreshes_in_window + 1
    return (
        f"{per_ttl:.2f} ({row.listings} listings, {row.refreshes_in_window} snapshots in "
        f"{num(row.window_s)} s){mark(ok)}"
    )


def paging_cell(row: ScaleRow) -> str:
    """Return "page 2.1 ms, full 9.8 ms / gzip 3.2 ms"."""
    if row.page_ms is None:
        return "—"
    return (
        f"page {num(row.page_ms, 1)} ms; full {num(row.full_plain_ms, 1)} ms, "
        f"gzip {num(row.full_gzip_ms, 1)} ms"
    )


HEADERS = (
    "Clients",
    "Shared state",
    "1. Search during refreshes, p50 / p99 / max ms (≤ 50 / ≤ 200)",
    "1. Lookup during refreshes, p50 / p99 / max ms (≤ 50 / ≤ 200)",
    "1. STALE share",
    "2. First requests after a warm restart (≤ 50 ms)",
    "3. Truly cold first requests",
    "4. RSS per worker across refreshes (≤ 200 MiB at 50k, flat)",
    "4. Builder RSS",
    "6. Listings per TTL, one host",
    "5. List page (100) vs full list",
    "5. Full list plain / gzip",
)


def row_cells(row: ScaleRow) -> list[str]:
    """Return the cells of one size and mode row."""
    return [
        f"{row.clients:,}",
        row.mode,
        latency_cell(row.search),
        latency_cell(row.lookup),
        f"{row.search.stale_share * 100:.0f} % / {row.lookup.stale_share * 100:.0f} %"
        if row.search.count
        else "—",
        warm_cell(row),
        cold_cell(row),
        rss_cell(row),
        "—" if row.builder_rss_mib is None else f"{num(row.builder_rss_mib)} MiB",
        listings_cell(row),
        paging_cell(row),
        f"{size_text(row.plain_bytes)} / {size_text(row.gzip_bytes)}",
    ]


def render_table(rows: Sequence[ScaleRow]) -> list[str]:
    """Return the Markdown lines of the scale table, one row per size and mode."""
    return table(HEADERS, [row_cells(row) for row in rows])


def verdicts(rows: Sequence[ScaleRow], hosts: Sequence[HostsRow] = ()) -> dict[str, bool | None]:
    """Judge each of the issue's measurable points over every row (None: not measured)."""
    measured = [r for r in rows if r.search.count]
    big = [r for r in rows if r.clients >= RSS_TARGET_AT]
    stall = [r.search.meets() and r.lookup.meets() for r in measured]
    warm = [
        r.warm_worst_first_ms is not None and r.warm_worst_first_ms <= WARM_FIRST_MS
        for r in rows
        if r.warm_lookup is not None
    ]
    memory = [
        r.rss_growth_pct is not None
        and r.rss_growth_pct < RSS_FLAT_PCT
        and (r.clients < RSS_TARGET_AT or (r.rss_end_mib or 0) <= RSS_MAX_MIB)
        for r in rows
        if r.rss_end_mib is not None
    ]

    def judged(values: list[bool], scope: list[ScaleRow] | None = None) -> bool | None:
        return None if not values or scope == [] else all(values)

    return {
        "1. no stall on refresh (p99 ≤ 50 ms, max ≤ 200 ms)": judged(stall),
        "2. first request after a warm restart ≤ 50 ms": judged(warm),
        "4. ≤ 200 MiB per worker at 50k, flat across refreshes": judged(memory, big),
        "6. one listing per refresh per host (no Redis) / per deployment (Redis)": judged(
            [r.listings <= r.refreshes_in_window + 1 for r in measured] + [h.meets() for h in hosts]
        ),
    }


def machine_lines(machine: Machine, load_end: str) -> list[str]:
    """Return the machine table, with the load average at the start and at the end."""
    rows = machine_rows(machine, with_locust=False, load_end=load_end)
    return table(["", ""], rows)


def render_report(
    rows: Sequence[ScaleRow],
    machine: Machine,
    *,
    command: str,
    settings: Mapping[str, str],
    load_end: str,
    wall_s: float,
    notes: Sequence[str] = (),
    hosts: Sequence[HostsRow] = (),
) -> str:
    """Return the whole Markdown report."""
    lines = [
        f"# WispHub API at scale (issue 13), {machine.date}",
        "",
        f"One run of `{command}` ({wall_s / 60:.1f} min) on the machine below: the sandbox, the "
        "API and the probes share its cores. ✓ / ✗ judge a figure against the issue's target; "
        "a cell without a mark has no target. Compare runs on the same machine only.",
        "",
        *render_table(rows),
        "",
    ]
    if hosts:
        lines += [
            "Two hosts (two gunicorns of 2 workers, each its own STATE_DIR) on one sandbox:",
            "",
            *render_hosts(hosts),
            "",
        ]
    lines += ["## Verdicts", ""]
    for point, verdict in verdicts(rows, hosts).items():
        text = "not measured" if verdict is None else ("met" if verdict else "**not met**")
        lines.append(f"- {point}: {text}")
    lines += ["", "## How it was measured", "", *[f"- {item}" for item in settings_lines(settings)]]
    row_notes = [f"- {r.clients:,} {r.mode}: {n}" for r in rows for n in r.notes]
    row_notes += [
        f"- {r.clients:,} {r.mode}: {trail_text(r.rss_trail)}" for r in rows if r.rss_trail
    ]
    if notes or row_notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes], *row_notes]
    lines += ["", "## Machine", "", *machine_lines(machine, load_end), ""]
    return "\n".join(lines)


# A report's hand-written tail (the analysis of a run) starts at this line; a new run keeps it.
KEPT_MARK = "<!-- kept: written by hand, benchmarks.scale keeps what follows -->"


def kept_tail(old_report: str) -> str:
    """Return the hand-written tail of an earlier report (from KEPT_MARK on), or ""."""
    at = old_report.find(KEPT_MARK)
    return "" if at < 0 else old_report[at:]


def trail_text(trail: Sequence[float]) -> str:
    """Describe the largest worker's RSS after each refresh of the memory phase."""
    values = ", ".join(f"{v:.0f}" for v in trail)
    return f"largest worker's RSS (MiB) after each refresh of the memory phase: {values}"


def settings_lines(settings: Mapping[str, str]) -> list[str]:
    """Return "name: value" lines of the run's settings."""
    return [f"{name}: {value}" for name, value in settings.items()]
