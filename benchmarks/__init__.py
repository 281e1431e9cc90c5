"""Benchmark tooling of the checkout (not installed with the package): `rag bench` and the scripts here."""
