"""Benchmarks with their recorded results (STYLE.md §1): `make bench` writes bench/RESULTS.md.

Numbers, not timed assertions: the run exits 0 and lists what is over budget.
"""
