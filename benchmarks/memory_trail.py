"""A worker's RSS across snapshot adoptions, in minutes: issue 13's point 4 without gunicorn.

    .venv/bin/python -m benchmarks.memory_trail                      # 50,000 clients, 20 refreshes
    .venv/bin/python -m benchmarks.memory_trail --clients 10000 --refreshes 5

The parent builds the sandbox's tenant (``sandbox.dataset``, the data ``benchmarks.scale``'s
sandbox serves) once, maps its rows as the upstream client does, turns them into artifact
sections as the builder does, and writes them as a snapshot in a temporary STATE_DIR. A child, a
fresh interpreter that imports what a worker imports for snapshots, adopts it through a
``SnapshotStore`` (``open``, the warm-restart path, which is the background loop's adoption
with no pauses) and answers a search, a lookup, a page and the gzipped list from it. Then the
parent writes the same sections ``--refreshes`` times more as new snapshots (new versions, a
later fetched_at), and the child adopts each. After each adoption the child prints its VmRSS and
the peak since the previous one (VmHWM, reset through /proc/self/clear_refs). The child's
environment is the parent's, so ``MALLOC_ARENA_MAX=2 python -m benchmarks.memory_trail`` probes
that setting. It prints numbers; it asserts nothing. The builder's work is the parent's, so the
child never holds the builder's memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def status_mib(field: str) -> float:
    """Return a field of /proc/self/status (VmRSS, VmHWM) in MiB, 0.0 where there is none."""
    # Not benchmarks.scale.rss_mib: importing the stack package would add ~7 MiB of modules to
    # the child whose baseline this measures.
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def reset_peak() -> None:
    """Start a new VmHWM from the current RSS (Linux 4.0+; elsewhere the peak stays global)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


def build_sections(clients: int, seed: int) -> dict[str, bytes]:
    """Return the artifact sections of the sandbox's tenant of ``clients`` clients."""
    from wisphub_api.sandbox.dataset import Dataset
    from wisphub_api.services.datasets import DATASETS
    from wisphub_api.upstream.mapping import client_from_row

    tenant = Dataset.build(seed, clients, 12)
    mapped = tuple(client_from_row(record.row) for record in tenant.records)
    return DATASETS["clients"].sections(mapped)


def child(state_dir: Path) -> int:
    """Adopt each snapshot the parent announces on stdin; print RSS lines as JSON."""
    import wisphub_api.blueprints  # noqa: F401 - what a worker has imported before any data
    from wisphub_api.services.memory import fix_mmap_threshold

    fix_mmap_threshold()  # as the gunicorn worker does in init_process
    from wisphub_api.services.artifact import ArtifactPaths
    from wisphub_api.services.datasets import DATASETS
    from wisphub_api.services.snapshots import SnapshotStore

    dataset = DATASETS["clients"]
    store: SnapshotStore[Any] = SnapshotStore(
        "clients",
        paths=ArtifactPaths(state_dir, "clients"),
        load=dataset.load,
        run_build=lambda _lock: None,
        ttl=3600.0,
        stale_max_age=86400.0,
        refresh_fraction=0.8,
        cold_wait=0.0,
        failure_threshold=3,
    )
    print(json.dumps({"empty": status_mib("VmRSS")}), flush=True)
    for _ in sys.stdin:
        reset_peak()
        started = time.perf_counter()
        store.open()
        adopt_ms = (time.perf_counter() - started) * 1000
        found = store.peek()
        assert found is not None, "the snapshot was not adopted"
        view = found[0]
        view.search("maria gomez", 20)
        view.search("rodrigez", 20)  # a typo: the partial tier
        view.body(view.position(7) or 0)
        view.listing.page_answer(100, 100)
        view.listing.gzipped()
        del view, found
        rss, peak = status_mib("VmRSS"), status_mib("VmHWM")
        print(json.dumps({"rss": rss, "peak": peak, "adopt_ms": adopt_ms}), flush=True)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.memory_trail",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--clients", type=int, default=50_000, help="clients of the tenant (default 50000)")
    add("--refreshes", type=int, default=20, help="snapshots adopted after the first (default 20)")
    add("--seed", type=int, default=42, help="the sandbox's dataset seed (default 42)")
    add("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build once, then have a fresh process adopt 1 + --refreshes snapshots; print its RSS."""
    args = parse_args(argv)
    if args.child is not None:
        return child(args.child)
    from wisphub_api.services.artifact import ArtifactPaths, write_snapshot

    started = time.monotonic()
    sections = build_sections(args.clients, args.seed)
    sizes = ", ".join(f"{name} {len(data) / 1e6:.1f} MB" for name, data in sections.items())
    print(f"{args.clients:,} clients built in {time.monotonic() - started:.1f} s: {sizes}")
    with tempfile.TemporaryDirectory(prefix="memory-trail-") as root:
        paths = ArtifactPaths(Path(root), "clients")
        command = [sys.executable, "-m", "benchmarks.memory_trail", "--child", root]
        worker = subprocess.Popen(  # noqa: S603 - this module, a fixed command line
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert worker.stdin is not None and worker.stdout is not None
        try:
            empty = json.loads(worker.stdout.readline())["empty"]
            print(f"child before any snapshot: {empty:.0f} MiB")
            trail, peaks = [], []
            for number in range(args.refreshes + 1):
                write_snapshot(paths, sections, fetched_at=time.time(), source="upstream")
                worker.stdin.write("adopt\n")
                worker.stdin.flush()
                line = json.loads(worker.stdout.readline())
                trail.append(line["rss"])
                peaks.append(line["peak"])
                name = "first" if number == 0 else f"refresh {number}"
                print(
                    f"{name:>10}: RSS {line['rss']:6.1f} MiB, peak {line['peak']:6.1f} MiB, "
                    f"adopted in {line['adopt_ms']:.0f} ms",
                    flush=True,
                )
        finally:
            worker.stdin.close()
            worker.wait(30)
    print(
        f"summary: empty {empty:.0f}, warm {trail[0]:.0f}, after {args.refreshes} refreshes "
        f"{trail[-1]:.0f}, highest {max(trail):.0f}, peak {max(peaks):.0f} MiB"
    )
    print("trail (MiB): " + ", ".join(f"{rss:.0f}" for rss in trail))
    return 0


if __name__ == "__main__":
    sys.exit(main())
