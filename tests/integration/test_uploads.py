"""Uploads (API.md §6, issue 12), in-process: a presigned POST whose signed policy pins the file,
the file stored, the upload processor run on it as S3's Object Created event would run it
(`pump_buckets()`, local/buckets.py), and the upload ready or rejected with its reason.

moto does not enforce a presigned policy's conditions, so one test decodes the policy and checks
them, and the others store files straight into the bucket, as a client that got past the policy
(or S3 misbehaving) would, to see the second check refuse what the first would have."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import boto3
import pytest

from tests.builders import sign_up
from tests.images import jpeg, png, webp


def _ask(api: Any, who: dict[str, Any], purpose: str, content_type: str, length: int, **headers: str) -> Any:
    return api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": purpose, "content_type": content_type, "content_length": length},
        headers={**who["headers"], **headers},
    )


def _store(
    aws: dict[str, str], created: dict[str, Any], data: bytes, content_type: str | None = None
) -> None:
    """What the client's POST puts in the bucket (the key and type its form fields name)."""
    fields = created["upload"]["fields"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws["UploadBucket"],
        Key=fields["key"],
        Body=data,
        ContentType=content_type or fields["Content-Type"],
    )


def _upload(
    api: Any, aws: dict[str, str], who: dict[str, Any], data: bytes, content_type: str, **kw: Any
) -> dict[str, Any]:
    created = _ask(api, who, kw.pop("purpose", "speaker_photo"), content_type, kw.pop("declared", len(data)))
    assert created.status == 201, created.body
    _store(aws, created.json(), data, kw.pop("stored_as", None))
    api.pump_buckets()
    read = api.request("GET", f"/v1/uploads/{created.json()['id']}", headers=who["headers"])
    assert read.status == 200, read.body
    return dict(read.json())


def test_a_presigned_post_pins_the_key_the_type_and_the_exact_length(api, aws):
    owner = sign_up(api)

    created = _ask(api, owner, "agenda_icon", "image/png", 1234)

    assert created.status == 201, created.body
    body = created.json()
    assert body["status"] == "pending" and body["id"].startswith("upl_")
    assert created.header("Location").endswith(f"/v1/uploads/{body['id']}")
    upload = body["upload"]
    assert upload["method"] == "POST"
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": aws["UploadBucket"]} in conditions
    assert {"key": f"incoming/{body['id']}"} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1234, 1234] in conditions
    assert upload["fields"]["key"] == f"incoming/{body['id']}"
    # The policy's own expiry is the one the answer states (signed a moment apart, in whole seconds).
    signed_until = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    stated_until = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs((signed_until - stated_until).total_seconds()) < 2
    assert (stated_until - created).total_seconds() == 600  # 10 minutes


@pytest.mark.parametrize(
    ("content_type", "data", "size"),
    [
        ("image/png", png(3, 5), (3, 5)),
        ("image/jpeg", jpeg(7, 9), (7, 9)),
        ("image/webp", webp(11, 13), (11, 13)),
    ],
)
def test_a_real_image_becomes_ready_with_its_url_and_dimensions(api, aws, content_type, data, size):
    owner = sign_up(api)

    upload = _upload(api, aws, owner, data, content_type)
    media = api.request("GET", f"/v1/media/{upload['id']}")

    assert upload["status"] == "ready" and (upload["width"], upload["height"]) == size
    assert upload["url"].endswith(f"/v1/media/{upload['id']}")
    assert media.status == 302 and f"v1/media/{upload['id']}" in media.header("Location")
    stored = boto3.client("s3", region_name="us-east-1").get_object(
        Bucket=aws["UploadBucket"], Key=f"v1/media/{upload['id']}"
    )
    assert stored["Body"].read() == data and stored["ContentType"] == content_type
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(
        Bucket=aws["UploadBucket"], Prefix="incoming/"
    )
    assert listed.get("KeyCount", 0) == 0  # the incoming copy is gone


@pytest.mark.parametrize(
    ("content_type", "data", "extra", "reason"),
    [
        ("image/png", jpeg(), {}, "not_the_declared_type"),  # a content_type that lies
        ("image/png", png()[:-6], {}, "truncated"),
        ("image/png", png(2, 2, declared=(5000, 5000)), {}, "too_many_pixels"),  # a decompression bomb
        ("image/png", png(), {"declared": 10}, "size_mismatch"),
        ("image/jpeg", jpeg(), {"stored_as": "text/html"}, "not_the_declared_type"),
    ],
    ids=["lying-type", "truncated", "bomb", "size-mismatch", "stored-as-html"],
)
def test_a_file_that_is_not_what_was_declared_is_rejected_and_deleted(
    api, aws, content_type, data, extra, reason
):
    owner = sign_up(api)

    upload = _upload(api, aws, owner, data, content_type, **extra)

    assert upload["status"] == "rejected" and upload["reason"] == reason, upload
    assert upload["detail"] and "url" not in upload
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=aws["UploadBucket"])
    assert listed.get("KeyCount", 0) == 0
    assert api.request("GET", f"/v1/media/{upload['id']}").status == 404


def test_an_oversized_object_stored_directly_is_rejected(api, aws):
    owner = sign_up(api)
    created = _ask(api, owner, "speaker_photo", "image/png", 100).json()
    _store(aws, created, png() + b"\x00" * (5 * 1024 * 1024))
    api.pump_buckets()

    read = api.request("GET", f"/v1/uploads/{created['id']}", headers=owner["headers"]).json()

    assert read["status"] == "rejected" and read["reason"] == "too_large"


def test_a_notification_that_comes_twice_decides_nothing_twice(api, aws):
    owner = sign_up(api)
    created = _ask(api, owner, "speaker_photo", "image/png", len(png())).json()
    _store(aws, created, png())
    event = {"detail-type": "Object Created", "detail": {"object": {"key": f"incoming/{created['id']}"}}}

    outcomes = [api.invoke("UploadEventsFunction", event)["outcome"] for _ in range(3)]

    assert outcomes == ["ready", "duplicate", "duplicate"]


def test_a_schedule_file_is_ready_when_it_parses_and_rejected_when_not(api, aws):
    owner = sign_up(api)
    good = b'{"schedule": {"conference": {"title": "x"}}}'

    ready = _upload(api, aws, owner, good, "application/json", purpose="schedule_import")
    broken = _upload(api, aws, owner, b"{not json", "application/json", purpose="schedule_import")
    entity = _upload(
        api,
        aws,
        owner,
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        "application/xml",
        purpose="schedule_import",
    )

    assert ready["status"] == "ready" and "url" not in ready
    assert (broken["status"], broken["reason"]) == ("rejected", "unparsable")
    assert (entity["status"], entity["reason"]) == ("rejected", "unparsable")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (
            {"purpose": "speaker_photo", "content_type": "application/json", "content_length": 10},
            "/content_type",
        ),
        (
            {"purpose": "agenda_icon", "content_type": "image/png", "content_length": 5 * 1024 * 1024 + 1},
            "/content_length",
        ),
        ({"purpose": "agenda_icon", "content_type": "image/png", "content_length": 0}, "/content_length"),
        ({"purpose": "agenda_icon", "content_type": "image/gif", "content_length": 10}, "/content_type"),
        ({"purpose": "avatar", "content_type": "image/png", "content_length": 10}, "/purpose"),
    ],
    ids=["json-photo", "over-5-mib", "empty", "gif", "unknown-purpose"],
)
def test_what_a_purpose_does_not_take_is_a_422_and_stores_nothing(api, aws, body, pointer):
    owner = sign_up(api)

    refused = api.request("POST", "/v1/uploads", json_body=body, headers=owner["headers"])

    assert refused.status == 422, refused.body
    assert pointer in [error["pointer"] for error in refused.json()["errors"]]
    listed = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=aws["AgendaTable"])
    assert not [i for i in listed["Items"] if i["pk"]["S"].startswith("UPLOAD#")]


def test_only_the_uploader_reads_an_upload(api, aws):
    owner, other = sign_up(api), sign_up(api)
    created = _ask(api, owner, "speaker_photo", "image/png", 10).json()

    mine = api.request("GET", f"/v1/uploads/{created['id']}", headers=owner["headers"])
    theirs = api.request("GET", f"/v1/uploads/{created['id']}", headers=other["headers"])
    anonymous = api.request("GET", f"/v1/uploads/{created['id']}")
    pending_media = api.request("GET", f"/v1/media/{created['id']}")

    assert [mine.status, theirs.status, anonymous.status, pending_media.status] == [200, 404, 401, 404]


def test_an_idempotency_key_makes_one_upload(api, aws):
    owner = sign_up(api)

    first = _ask(api, owner, "speaker_photo", "image/png", 10, **{"Idempotency-Key": "photo-1"})
    again = _ask(api, owner, "speaker_photo", "image/png", 10, **{"Idempotency-Key": "photo-1"})

    assert first.status == again.status == 201 and first.json()["id"] == again.json()["id"]


def test_an_expired_upload_takes_its_files_with_it(api, aws):
    owner = sign_up(api)
    upload = _upload(api, aws, owner, png(), "image/png")
    s3 = boto3.client("s3", region_name="us-east-1")

    # What DynamoDB's TTL does a day later: removes the item (moto never expires anything).
    boto3.client("dynamodb", region_name="us-east-1").delete_item(
        TableName=aws["AgendaTable"], Key={"pk": {"S": f"UPLOAD#{upload['id']}"}, "sk": {"S": "UPLOAD"}}
    )
    api.pump_streams()

    assert s3.list_objects_v2(Bucket=aws["UploadBucket"]).get("KeyCount", 0) == 0
