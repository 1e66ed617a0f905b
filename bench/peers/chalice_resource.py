"""Peer: Chalice with boto3's DynamoDB resource (``Table.query``), no validation layer.

AWS's own microframework as its documentation writes a route: the table resource made at
import, the view returns a dict and Chalice serialises it (``json.dumps``, Decimals as floats, so
the mapping makes whole numbers ints first). The anonymous full read as ours answers it: one
Query of the agenda's partition, pages followed, mapped by bench/peers/shape.py. Null fields
stay in the JSON (Chalice has no notion of leaving them out). Lambda handler: ``app`` (a deployed
Chalice package carries only ``chalice/__init__.py`` and ``chalice/app.py``, which import the
standard library alone).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from chalice import Chalice, NotFoundError

from .shape import AGENDA_SK, base_url, full_agenda, is_public_agenda, partition_key

# Same endpoint as the bare handler (AWS_ENDPOINT_URL: the emulator), read the same way.
table = boto3.resource("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None).Table(
    os.environ["TABLE_NAME"]
)
app = Chalice(app_name="agenda-peer")


def _partition(agenda_id: str) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": partition_key(agenda_id)},
    }
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@app.route("/v1/agendas/{agenda_id}", methods=["GET"])
def get_agenda(agenda_id: str) -> dict[str, Any]:
    items = _partition(agenda_id)
    agenda = next((item for item in items if item["sk"] == AGENDA_SK), None)
    if agenda is None or not is_public_agenda(agenda):
        raise NotFoundError("No agenda with this id.")
    request = app.current_request
    assert request is not None  # set by Chalice before it calls a view
    return full_agenda(agenda, items, base_url(request.to_original_event()))
