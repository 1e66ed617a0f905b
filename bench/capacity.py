"""Read capacity of the full-agenda Query, computed from the items by DynamoDB's documented rules.

moto answers `ReturnConsumedCapacity=TOTAL` with a constant (1.0 for any Query, whatever it read),
so the units are computed instead, from the partition's items as DynamoDB sizes them
(developer guide, "Item sizes and formats" and "Read consumption for queries"):

- an item's size is the sum of its attribute names' UTF-8 bytes and its values' sizes: a string
  its UTF-8 bytes, a number ~1 byte per two significant digits + 1, binary its bytes, a boolean
  or null 1 byte, a list or map 3 bytes + 1 byte per element + the elements (a map's keys
  counted like names), a set the sum of its elements;
- a Query reads pages of at most 1 MB; each page costs its items' summed size rounded up to the
  next 4 KB, in units of 0.5 RCU per 4 KB eventually consistent, 1 RCU strongly consistent. A
  filter does not reduce it: what the key condition reads is billed;
- a GetItem costs its item's size rounded up to 4 KB, at the same rates (at least one unit).

An S3 GetObject (the public snapshot) consumes no read units: 0.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

PAGE_LIMIT = 1024 * 1024
UNIT = 4 * 1024


def _digits(text: str) -> int:
    mantissa = text.lstrip("-").lower().split("e")[0].replace(".", "").strip("0")
    return max(1, len(mantissa))


def value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return math.ceil(_digits(inner) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(entry) for entry in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(entry) for name, entry in inner.items())
    if kind == "SS":
        return sum(len(entry.encode()) for entry in inner)
    if kind == "NS":
        return sum(math.ceil(_digits(entry) / 2) + 1 for entry in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(entry)) for entry in inner)
    raise KeyError(f"unexpected DynamoDB type {kind}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


@dataclass(frozen=True)
class ReadCost:
    items: int
    bytes: int  # the partition's items, as DynamoDB sizes them
    pages: int  # 1 MB pages of a Query of the whole partition
    eventual_rcu: float  # what one eventually consistent read of it consumes
    strong_rcu: float  # ... and one strongly consistent read
    largest_item: int
    moto_reported: Any  # what moto answered to ReturnConsumedCapacity=TOTAL (for the record)
    agenda_item: int = 0  # the agenda item's size: what a GetItem of it reads (a revalidation)

    def units(self, operation: str, consistent: bool) -> float:
        """What one request of an invocation consumes: a Query of the partition its price (later
        pages included), a GetItem the agenda item's, anything else 0 (S3, a page already counted)."""
        per_unit = 1.0 if consistent else 0.5
        if operation == "Query":
            return self.strong_rcu if consistent else self.eventual_rcu
        if operation == "GetItem":
            return max(1, math.ceil(self.agenda_item / UNIT)) * per_unit
        if operation in ("BatchGetItem", "TransactGetItems", "Scan"):
            return math.nan  # not priced here: which items it read is not recorded
        return 0.0

    def average_units(self, requests: dict[str, int], consistent: bool) -> float:
        """Read units per invocation, averaged: `requests` maps each invocation's operations
        ("Query", "GetObject", "" for none) to how many invocations sent exactly those."""
        invocations = sum(requests.values())
        if not invocations:
            return math.nan
        total = sum(
            times * sum(self.units(op, consistent) for op in sequence.split("+") if op)
            for sequence, times in requests.items()
        )
        return total / invocations


def partition_cost(endpoint: str, table: str, partition_key: str) -> ReadCost:
    """Queries the whole partition (as the full read does) and prices it."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": partition_key}},
        "ReturnConsumedCapacity": "TOTAL",
    }
    sizes: list[int] = []
    reported = []
    agenda_item = 0
    while True:
        page = client.query(**kwargs)
        sizes += [item_size(item) for item in page["Items"]]
        heads = [item_size(item) for item in page["Items"] if item["sk"]["S"] == "#AGENDA"]
        agenda_item = max([agenda_item, *heads])
        reported.append(page.get("ConsumedCapacity", {}).get("CapacityUnits"))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    pages: list[int] = [0]
    for size in sizes:  # in sort-key order, as DynamoDB reads them
        if pages[-1] and pages[-1] + size > PAGE_LIMIT:
            pages.append(0)
        pages[-1] += size
    units = sum(math.ceil(page / UNIT) for page in pages)
    return ReadCost(
        items=len(sizes),
        bytes=sum(sizes),
        pages=len(pages),
        eventual_rcu=units * 0.5,
        strong_rcu=float(units),
        largest_item=max(sizes, default=0),
        moto_reported=reported[0] if len(reported) == 1 else reported,
        agenda_item=agenda_item,
    )
