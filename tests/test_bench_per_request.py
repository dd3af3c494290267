"""benchmarks.per_request's report: its Markdown section, put into latest.md and kept there."""

from __future__ import annotations

from benchmarks.per_request import (
    SECTION_END,
    SECTION_START,
    RouteResult,
    carry_section,
    markdown_report,
    write_section,
)

RESULTS = [RouteResult("internet-plans", "/api/v1/internet-plans/", 120.0, 48.0, 2.5)]


def test_markdown_section_has_a_row_per_route_between_its_markers():
    section = markdown_report(RESULTS, rounds=3, calls=10).splitlines()
    assert section[0] == SECTION_START and section[-1] == SECTION_END
    assert "| GET /api/v1/internet-plans/ | 120.0 | 48.0 | 2.50 | 0.40 |" in section


def test_write_section_adds_it_once_then_replaces_it(tmp_path):
    report = tmp_path / "latest.md"
    report.write_text("# Bench\n\nbody\n", encoding="utf-8")
    write_section(report, markdown_report(RESULTS, rounds=3, calls=10))
    faster = [RouteResult("internet-plans", "/api/v1/internet-plans/", 60.0, 48.0, 1.25)]
    write_section(report, markdown_report(faster, rounds=3, calls=10))
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# Bench\n\nbody\n\n") and text.count(SECTION_START) == 1
    assert "| 60.0 | 48.0 | 1.25 | 0.80 |" in text and "120.0" not in text


def test_a_rewritten_report_keeps_the_section(tmp_path):
    report = tmp_path / "latest.md"
    write_section(report, markdown_report(RESULTS, rounds=3, calls=10))
    rewritten = carry_section("# Bench of today\n", report)
    assert rewritten.startswith("# Bench of today\n\n" + SECTION_START)
    assert carry_section("# Bench\n", tmp_path / "missing.md") == "# Bench\n"
    assert carry_section(rewritten, report) == rewritten  # never twice
