"""Shared pieces of the load tests: configuration, checks, thresholds and the base user."""
