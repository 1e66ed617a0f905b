"""A real round trip to the table for the health check."""

from __future__ import annotations

from agenda_core.db.base import TableItem, get_or_none


def touch_table() -> None:
    # A GetItem of a key that never exists: proves reachability and permissions, costs 0.5 RCU.
    get_or_none(TableItem, "HEALTH", "HEALTH")
