"""Benchmarks of the hub against its baselines: ``python -m bench`` (see docs/performance.md)."""
