"""Benchmarks of WispHub API: `bench` (the whole stack under Locust), `bench_search` (the index)."""
