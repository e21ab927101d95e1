"""Benchmarks: measured, never asserted (see docs/performance.md)."""
