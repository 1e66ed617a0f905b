"""The first event of a function the table's stream triggers, as Lambda would deliver it.

functions/snapshots has no API route: its cold start is measured on what it gets in production,
a batch holding one INSERT of a change record (`CHANGES#<agenda_id>`, db/commits.py). The record
is the agenda's latest change record as stored in the table, in the stream's record format
(NEW_AND_OLD_IMAGES, the table's stream ARN), and it is checked against the function's
FilterCriteria (local/streams.py's matching), so that Lambda would indeed deliver it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.capacity import item_size
from bench.harness import REGION, Stack


def _record(event_name: str, keys: dict[str, Any], image_name: str, image: dict[str, Any]) -> dict[str, Any]:
    """A stream record of the table (NEW_AND_OLD_IMAGES) carrying one image."""
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": int(time.time()),
            "Keys": keys,
            image_name: image,
            "SequenceNumber": f"{time.time_ns() // 1000:021d}",
            "SizeBytes": item_size(image),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def subscribed(stack: Stack, function_id: str) -> bool:
    """Whether the template subscribes the function to a DynamoDB stream."""
    from local.streams import stream_subscriptions

    return any(s.function_id == function_id for s in stream_subscriptions(stack.template))


def change_insert(stack: Stack, function_id: str, agenda_id: str) -> dict[str, Any]:
    """{"Records": [the INSERT of the agenda's latest change record]}. Raises LookupError when the
    agenda has no change record or the function's filter would not let the record through."""
    import boto3

    from local.streams import matches, stream_subscriptions

    client = boto3.client("dynamodb", endpoint_url=stack.endpoint, region_name=REGION)
    table, _ = stack.table_names()
    answer = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CHANGES#{agenda_id}"}},
        ScanIndexForward=False,
        Limit=1,
    )
    if not answer.get("Items"):
        raise LookupError(f"no change record for {agenda_id}")
    item = answer["Items"][0]
    stream_arn = client.describe_table(TableName=table)["Table"].get("LatestStreamArn", "")
    record = {
        **_record("INSERT", {"pk": item["pk"], "sk": item["sk"]}, "NewImage", item),
        "eventSourceARN": stream_arn,
    }
    for subscription in stream_subscriptions(stack.template):
        if subscription.function_id == function_id and (
            not subscription.patterns or any(matches(p, record) for p in subscription.patterns)
        ):
            return {"Records": [record]}
    raise LookupError(f"{function_id}'s FilterCriteria would not deliver the INSERT of {item['sk']['S']}")


def queue_subscribed(stack: Stack, function_id: str) -> bool:
    """Whether the template subscribes the function to an SQS queue of its own."""
    from local.queues import queue_subscriptions

    return any(s.function_id == function_id for s in queue_subscriptions(stack.template))


def delivery_message(agenda_id: str) -> dict[str, Any]:
    """{"Records": [one webhook delivery message]}, as SQS hands it to the delivering function:
    for an endpoint deleted since (its first request reads the endpoint and stops there, so the
    measure is the function's own cold start and one BatchGetItem, with no receiver to wait for)."""
    import json

    message = {
        "message_id": "msg_01JQ0000000000000000000000",
        "webhook_id": "whk_01JQ0000000000000000000000",
        "agenda_id": agenda_id,
        "event_type": "agenda.updated",
        "body": json.dumps({"type": "agenda.updated", "data": {"agenda_id": agenda_id}}),
        "attempt": 1,
    }
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench",
                "body": json.dumps(message),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": REGION,
            }
        ]
    }


def expired_upload(stack: Stack, function_id: str) -> dict[str, Any]:
    """{"Records": [the REMOVE of an upload item]}, as the table's stream reports DynamoDB's TTL
    deleting one (its files are then deleted). Raises LookupError when the function's filter would
    not let it through."""
    from local.streams import matches, stream_subscriptions

    upload_id = "upl_01JQ0000000000000000000000"
    keys = {"pk": {"S": f"UPLOAD#{upload_id}"}, "sk": {"S": "UPLOAD"}}
    old = {**keys, "id": {"S": upload_id}, "purpose": {"S": "agenda_icon"}}
    record = {
        **_record("REMOVE", keys, "OldImage", old),
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    }
    for subscription in stream_subscriptions(stack.template):
        if subscription.function_id == function_id and any(matches(p, record) for p in subscription.patterns):
            return {"Records": [record]}
    raise LookupError(f"{function_id}'s FilterCriteria would not deliver an upload's REMOVE")


def import_insert(stack: Stack, function_id: str, agenda_id: str) -> dict[str, Any]:
    """{"Records": [the INSERT of an import item]}, as the table's stream reports a POST
    .../imports (the run finds no such import and stops). Raises LookupError when the function's
    filter would not let it through."""
    from local.streams import matches, stream_subscriptions

    import_id = "imp_01JQ0000000000000000000000"
    keys = {"pk": {"S": f"IMPORTS#{agenda_id}"}, "sk": {"S": f"IMPORT#{import_id}"}}
    record = _record("INSERT", keys, "NewImage", {**keys, "id": {"S": import_id}, "status": {"S": "pending"}})
    for subscription in stream_subscriptions(stack.template):
        if subscription.function_id == function_id and any(matches(p, record) for p in subscription.patterns):
            return {"Records": [record]}
    raise LookupError(f"{function_id}'s FilterCriteria would not deliver an import's INSERT")
