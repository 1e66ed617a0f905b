"""The stack's floor: the least a function on the design card's stack can import and do.

Not a peer (it serves no agenda): one ``APIGatewayRestResolver(enable_validation=True)`` route
with a typed path parameter, one pydantic model, a botocore DynamoDB client made at the first
request and one GetItem of the agenda's item, the JSON written by hand. Whatever a function of
ours costs above this row is ours to cut; what this row costs above the bare handler is the price
of Powertools and pydantic themselves (bench/cold.py --floor, RESULTS.md section 1).
"""

from __future__ import annotations

import json
import os
from typing import Any

import botocore.session
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from pydantic import BaseModel

app = APIGatewayRestResolver(enable_validation=True)
_client: Any = None


class AgendaHead(BaseModel):
    id: str
    version: int


@app.get("/v1/agendas/<agenda_id>")
def read_agenda(agenda_id: str) -> Response[str]:
    global _client
    if _client is None:
        _client = botocore.session.get_session().create_client(
            "dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None
        )
    item = _client.get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": f"AGENDA#{agenda_id}"}, "sk": {"S": "#AGENDA"}},
    ).get("Item")
    if item is None:
        return Response(404, "application/problem+json", json.dumps({"status": 404}))
    head = AgendaHead(id=agenda_id, version=int(item.get("version", {}).get("N", "0")))
    return Response(200, "application/json", head.model_dump_json())


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
