"""DynamoDB's JSON (``{"S": "..."}``, ``{"N": "12"}``) to plain Python values, fast.

The full-agenda read decodes every item of a partition on each uncached request; pynamodb's model
instantiation costs about 40 µs per item there (bench/RESULTS.md), this about a tenth of it. Only
the types our records use are handled; anything else is a bug (KeyError), not silently passed.
"""

from __future__ import annotations

from typing import Any


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)


def decode_value(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        return _number(inner)
    if kind == "BOOL":
        return inner
    if kind == "L":
        return [decode_value(entry) for entry in inner]
    if kind == "M":
        return {name: decode_value(entry) for name, entry in inner.items()}
    if kind == "NULL":
        return None
    if kind == "SS":
        return list(inner)
    raise KeyError(f"unexpected DynamoDB type {kind}")


def decode_item(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One item's attributes as plain values (numbers as int when whole)."""
    return {name: decode_value(value) for name, value in item.items()}
