"""Benchmarks: our load generator and the HTTP stack study."""
