"""Peers: the full-agenda read written on the stacks a user would otherwise pick (bench/peer_bench.py).

Empty on purpose: a peer's handler is imported as ``peers.<module>`` in the measured children, so
whatever this file imported would be charged to every peer's cold start.
"""
