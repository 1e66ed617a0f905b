"""Peer: FastAPI behind Mangum, a pydantic ``response_model``, boto3's DynamoDB resource.

The stack most tutorials put on Lambda, written as its documentation recommends and without
handicaps: the table resource made at import, a plain ``def`` route (boto3 blocks, so FastAPI runs
it in its thread pool, as it advises for blocking calls), Mangum with ``lifespan="off"`` (the app
has no lifespan events; "auto" would run a lifespan cycle on every invocation), and the anonymous
full read as ours answers it: one Query of the agenda's partition, pages followed, mapped by
bench/peers/shape.py, validated and serialised by FastAPI through ``AgendaFull``. Null fields are
left out (``response_model_exclude_none``), as API.md asks. Lambda handler: ``handler``.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from fastapi import FastAPI, HTTPException, Request
from mangum import Mangum

from .models import AgendaFull
from .shape import AGENDA_SK, base_url, full_agenda, is_public_agenda, partition_key

# Same endpoint as the bare handler (AWS_ENDPOINT_URL: the emulator), read the same way.
table = boto3.resource("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None).Table(
    os.environ["TABLE_NAME"]
)
app = FastAPI(title="Agenda API, FastAPI peer")


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


@app.get("/v1/agendas/{agenda_id}", response_model=AgendaFull, response_model_exclude_none=True)
def get_agenda(agenda_id: str, request: Request) -> dict[str, Any]:
    items = _partition(agenda_id)
    agenda = next((item for item in items if item["sk"] == AGENDA_SK), None)
    if agenda is None or not is_public_agenda(agenda):
        raise HTTPException(status_code=404, detail="No agenda with this id.")
    return full_agenda(agenda, items, base_url(request.scope["aws.event"]))


handler = Mangum(app, lifespan="off")
