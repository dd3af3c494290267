"""The scale bench of issue 13 (benchmarks/scale.py): its arithmetic, its table, a tiny real run.

The pure pieces are checked on crafted numbers; one run at 300 clients with 2-second windows and
no upstream latency proves the phases run end to end over the real stack and stop what they
start. No assertion here is about how fast anything was.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks import scale
from benchmarks.machine import Machine
from benchmarks.scale_report import (
    KEPT_MARK,
    First,
    HostsRow,
    Sample,
    ScaleRow,
    filtered_calls,
    growth_pct,
    is_listing_start,
    kept_tail,
    latency_cell,
    listings,
    listings_cell,
    page_delta,
    render_report,
    render_table,
    rss_cell,
    summarise,
    verdicts,
)

MACHINE = Machine(
    "Test CPU 9000",
    2,
    23.5,
    "Linux 6",
    "3.11.7",
    "27.0.1",
    "26.9.0",
    "2.47.0",
    "0.10 / 0.20 / 0.30",
    "2026-01-02 03:04 UTC",
)


def samples(values: list[float], stale: int = 0, failed: int = 0) -> list[Sample]:
    """Samples of ``values`` ms: the first ``stale`` STALE, the last ``failed`` 503."""
    items = []
    for i, ms in enumerate(values):
        status = 503 if i >= len(values) - failed else 200
        items.append(Sample("search", ms, status, "STALE" if i < stale else "HIT"))
    return items


def row(clients: int = 1500, **changes: object) -> ScaleRow:
    """Return a complete row that meets every target, changed by ``changes``."""
    base = ScaleRow(
        clients=clients,
        mode="SimpleCache",
        ttl=20,
        window_s=40.0,
        refreshes_in_window=2,
        search=summarise(samples([3.0] * 99 + [20.0])),
        lookup=summarise(samples([2.0] * 100)),
        warm_lookup=First(6.0, 200, "STALE", "31"),
        warm_search=First(8.0, 200, "STALE", "31"),
        cold_lookup=First(320.0, 200, "MISS", "0"),
        cold_lookup_upstream=1,
        cold_search=First(9800.0, 503, retry_after="10"),
        rss_start_mib=70.0,
        rss_end_mib=72.0,
        rss_growth_pct=2.9,
        refreshes=20,
        listings=2,
        page_ms=2.0,
        full_plain_ms=9.0,
        full_gzip_ms=3.0,
        plain_bytes=661_000,
        gzip_bytes=83_000,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_summarise_takes_nearest_rank_percentiles_and_counts_stale_and_failed() -> None:
    latency = summarise(samples([float(n) for n in range(1, 101)], stale=25, failed=3))
    assert (latency.count, latency.p50, latency.p99, latency.max) == (100, 50.0, 99.0, 100.0)
    assert latency.stale_share == pytest.approx(0.25)
    assert latency.failed == 3
    assert summarise([]).count == 0


def test_a_sample_without_an_answer_counts_as_failed() -> None:
    assert summarise([Sample("lookup", 30000.0, None)]).failed == 1


def test_only_first_pages_without_filters_count_as_listings() -> None:
    by_page = {
        "/api/clientes/?limit=300&offset=0": 3,
        "/api/clientes/?limit=300&offset=300": 3,
        "/api/clientes/?limit=300&offset=0&id_servicio=7": 1,
        "/api/clientes/?limit=300&offset=0&cedula=1019473144": 1,
        "/api/plan-internet/?limit=300&offset=0": 1,
    }
    assert listings(by_page) == 3
    assert filtered_calls(by_page) == 2
    assert is_listing_start("/api/clientes/?limit=300")
    assert not is_listing_start("/api/clientes/?limit=300&offset=600")


def test_page_delta_keeps_only_what_grew() -> None:
    before = {"a": 2, "b": 1}
    after = {"a": 5, "b": 1, "c": 4}
    assert page_delta(before, after) == {"a": 3, "c": 4}


def test_growth_needs_a_baseline() -> None:
    assert growth_pct(200.0, 230.0) == pytest.approx(15.0)
    assert growth_pct(0.0, 10.0) is None


def test_a_refresh_stall_past_the_max_is_marked_missed() -> None:
    assert latency_cell(summarise(samples([3.0] * 100))).endswith("✓")
    spiked = summarise(samples([3.0] * 99 + [350.0]))
    assert spiked.p99 <= 50 and spiked.max > 200
    assert latency_cell(spiked).endswith("✗")
    assert "2 failed" in latency_cell(summarise(samples([3.0] * 10, failed=2)))


def test_memory_target_applies_at_50k_and_growth_everywhere() -> None:
    assert rss_cell(row(1500, rss_end_mib=250.0, rss_start_mib=245.0, rss_growth_pct=2.0)).endswith(
        "✓"
    )
    assert rss_cell(row(50_000, rss_end_mib=250.0, rss_growth_pct=2.0)).endswith("✗")
    assert rss_cell(row(1500, rss_growth_pct=30.0)).endswith("✗")


def test_more_listings_than_snapshots_is_marked_missed() -> None:
    assert listings_cell(row(listings=3, refreshes_in_window=2)).endswith("✓")
    assert listings_cell(row(listings=6, refreshes_in_window=2)).endswith("✗")


def test_two_hosts_with_redis_allow_one_listing_per_refresh_for_the_deployment() -> None:
    redis = HostsRow(1500, "Redis", 4, 20.0, listings=10, snapshots=(5, 5))
    alone = HostsRow(1500, "SimpleCache", 4, 20.0, listings=10, snapshots=(5, 5))
    assert not redis.meets()
    assert alone.meets()
    assert dataclasses.replace(redis, listings=6).meets()
    # one listing in flight per fetching host at the end of the window, no more
    assert dataclasses.replace(alone, listings=12).meets()
    assert not dataclasses.replace(alone, listings=13).meets()
    assert not dataclasses.replace(redis, listings=7).meets()
    assert alone.per_ttl == pytest.approx(2.0)


def test_the_table_has_one_row_per_size_and_mode_with_every_cell() -> None:
    rows = [row(), row(10_000, mode="Redis")]
    lines = render_table(rows)
    assert len(lines) == 4
    widths = {line.count("|") for line in lines}
    assert len(widths) == 1  # every line has the header's cells
    assert lines[2].startswith("| 1,500 | SimpleCache |")
    assert lines[3].startswith("| 10,000 | Redis |")
    assert "503, Retry-After 10" in lines[2]
    assert "661 KB / 83 KB" in lines[2]


def test_verdicts_judge_each_point_and_leave_unmeasured_ones_open() -> None:
    judged = verdicts([row()])
    assert judged["1. no stall on refresh (p99 ≤ 50 ms, max ≤ 200 ms)"] is True
    assert judged["4. ≤ 200 MiB per worker at 50k, flat across refreshes"] is None  # no 50k row
    slow_restart = row(warm_search=First(180.0, 200, "STALE", "31"))
    assert verdicts([slow_restart])["2. first request after a warm restart ≤ 50 ms"] is False
    big = row(50_000, rss_end_mib=260.0)
    assert verdicts([big])["4. ≤ 200 MiB per worker at 50k, flat across refreshes"] is False


def test_the_report_names_the_run_the_machine_and_both_load_averages() -> None:
    report = render_report(
        [row(rss_trail=[70.4, 71.6])],
        MACHINE,
        command="python -m benchmarks.scale --sizes 1500",
        settings={"Sandbox": "300 ms a call"},
        load_end="0.40 / 0.50 / 0.60",
        wall_s=90.0,
        notes=["50,000 clients not measured: past --budget-s"],
        hosts=[HostsRow(1500, "Redis", 4, 20.0, listings=5, snapshots=(5, 5))],
    )
    assert "`python -m benchmarks.scale --sizes 1500` (1.5 min)" in report
    assert "| Load average at start (1/5/15 min) | 0.10 / 0.20 / 0.30 |" in report
    assert "| Load average at end (1/5/15 min) | 0.40 / 0.50 / 0.60 |" in report
    assert "- Sandbox: 300 ms a call" in report
    assert "50,000 clients not measured" in report
    assert "5 (design: 5) ✓" in report
    assert "after each refresh of the memory phase: 70, 72" in report


def test_a_new_report_keeps_the_hand_written_analysis_of_the_old_one() -> None:
    old = f"# generated\n| table |\n\n{KEPT_MARK}\n## Where the time goes\nprofile\n"
    assert kept_tail(old) == f"{KEPT_MARK}\n## Where the time goes\nprofile\n"
    assert kept_tail("# generated only\n") == ""


def test_the_stall_window_is_60_s_at_50k_and_shorter_below() -> None:
    args = scale.parse_args([])
    assert scale.window_for(50_000, args) == 60.0
    assert scale.window_for(1500, args) < 60.0
    assert scale.window_for(1500, scale.parse_args(["--window", "5"])) == 5.0
    assert list(scale.sizes("1500, 10_000")) == [1500, 10_000]


@pytest.mark.slow
def test_a_tiny_run_measures_every_phase_over_the_real_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured_all = scale.measure_all
    results = []

    def keep(*args: object, **kwargs: object) -> object:
        results.append(measured_all(*args, **kwargs))  # type: ignore[arg-type]
        return results[-1]

    monkeypatch.setattr(scale, "measure_all", keep)
    out = tmp_path / "scale.md"
    argv = ["--sizes", "300", "--modes", "simple", "--window", "2", "--refreshes", "2"]
    argv += ["--refresh-ttl", "1", "--latency-ms", "0", "--two-hosts-max", "0"]
    argv += ["--memory-budget", "20", "--logs", str(tmp_path / "logs"), "--out", str(out)]
    assert scale.main(argv) == 0
    report = out.read_text(encoding="utf-8")
    assert "| 300 | SimpleCache |" in report
    ((rows, _, _),) = results
    (measured,) = rows
    assert measured.search.count >= 5 and measured.lookup.count >= 5
    assert measured.search.failed == 0 and measured.lookup.failed == 0
    assert measured.cold_lookup is not None and measured.cold_lookup.status == 200
    assert measured.cold_lookup_upstream is not None and measured.cold_lookup_upstream <= 1
    assert measured.warm_lookup is not None and measured.warm_lookup.status == 200
    assert measured.warm_lookup.cache in {"HIT", "STALE"}
    assert measured.plain_bytes and measured.gzip_bytes
    assert measured.plain_bytes > measured.gzip_bytes > 0
    assert measured.refreshes >= 1
    assert measured.rss_end_mib is not None and measured.rss_end_mib > 0


def test_phases_other_than_all_or_memory_are_refused() -> None:
    with pytest.raises(SystemExit):
        scale.measure_all(scale.parse_args(["--phases", "stall"]), deadline=0.0)


@pytest.mark.slow
def test_a_memory_only_run_measures_refreshes_and_nothing_else(tmp_path: Path) -> None:
    argv = ["--sizes", "300", "--modes", "simple", "--phases", "memory", "--refreshes", "2"]
    argv += ["--refresh-ttl", "1", "--latency-ms", "0", "--memory-budget", "20"]
    argv += ["--logs", str(tmp_path / "logs")]
    args = scale.parse_args(argv)
    (measured,), hosts, _ = scale.measure_all(args, deadline=float("inf"))
    assert hosts == [] and measured.cold_lookup is None and measured.search.count == 0
    assert measured.refreshes >= 1 and measured.rss_end_mib is not None
    assert len(measured.rss_trail) == measured.refreshes + 1
