"""Benchmarks that measure MLOps Desktop's speed and memory against its peers (not tests)."""
