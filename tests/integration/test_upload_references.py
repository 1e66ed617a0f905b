"""`icon` on agendas and `photo` on speakers (API.md §6, issue 12): only the caller's own ready
upload of the matching purpose is taken (422 otherwise, nothing stored), it comes back as a URL
in every read, and an image that nothing references any more gets its expiry back (from the
table's stream, as the deployed stack releases it)."""

from __future__ import annotations

from typing import Any

import boto3

from tests.builders import add_member, agenda_body, create_agenda, sign_up
from tests.images import png


def _ready(api: Any, aws: dict[str, str], who: dict[str, Any], purpose: str = "speaker_photo") -> str:
    image = png()
    created = api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": purpose, "content_type": "image/png", "content_length": len(image)},
        headers=who["headers"],
    ).json()
    fields = created["upload"]["fields"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws["UploadBucket"], Key=fields["key"], Body=image, ContentType="image/png"
    )
    api.pump_buckets()
    return str(created["id"])


def _upload_item(aws: dict[str, str], upload_id: str) -> dict[str, Any]:
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=aws["AgendaTable"], Key={"pk": {"S": f"UPLOAD#{upload_id}"}, "sk": {"S": "UPLOAD"}}
    )
    return dict(item.get("Item") or {})


def _speaker(api: Any, who: dict[str, Any], agenda: dict[str, Any], **body: Any) -> Any:
    return api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/speakers",
        json_body={"name": "Ada", **body},
        headers=who["headers"],
    )


def test_a_speaker_photo_is_the_callers_ready_upload_and_reads_back_as_its_url(api, aws):
    owner = sign_up(api)
    agenda = create_agenda(api, owner, published=True)
    photo = _ready(api, aws, owner)

    created = _speaker(api, owner, agenda, photo=photo)
    public = api.request("GET", f"/v1/agendas/{agenda['id']}/speakers/{created.json()['id']}")
    full = api.request("GET", f"/v1/agendas/{agenda['id']}")

    assert created.status == 201, created.body
    assert created.json()["photo"].endswith(f"/v1/media/{photo}")
    assert public.json()["photo"] == created.json()["photo"]
    assert [s["photo"] for s in full.json()["speakers"]] == [created.json()["photo"]]  # the snapshot
    stored = _upload_item(aws, photo)
    assert "ttl" not in stored  # referenced: never expires
    assert stored["referrers"]["SS"] == [f"{created.json()['id']}#photo"]


def test_another_users_a_pending_or_a_wrong_purpose_upload_is_a_422_and_stores_nothing(api, aws):
    owner, other = sign_up(api), sign_up(api)
    agenda = create_agenda(api, owner)
    theirs = _ready(api, aws, other)
    icon = _ready(api, aws, owner, purpose="agenda_icon")
    pending = api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": "speaker_photo", "content_type": "image/png", "content_length": 10},
        headers=owner["headers"],
    ).json()["id"]

    answers = [_speaker(api, owner, agenda, photo=upload) for upload in (theirs, icon, pending)]
    listed = api.request("GET", f"/v1/agendas/{agenda['id']}/speakers", headers=owner["headers"]).json()

    assert [a.status for a in answers] == [422, 422, 422]
    assert {a.json()["errors"][0]["code"] for a in answers} == {"unknown_upload"}
    assert {a.json()["errors"][0]["pointer"] for a in answers} == {"/photo"}
    assert listed["speakers"] == []
    assert "referrers" not in _upload_item(aws, theirs)


def test_an_agenda_icon_is_taken_replaced_and_the_old_one_released(api, aws):
    owner = sign_up(api)
    first, second = _ready(api, aws, owner, "agenda_icon"), _ready(api, aws, owner, "agenda_icon")

    created = api.request(
        "POST",
        "/v1/agendas",
        json_body=agenda_body(icon=first),
        headers=owner["headers"],
    )
    replaced = api.request(
        "PATCH", f"/v1/agendas/{created.json()['id']}", json_body={"icon": second}, headers=owner["headers"]
    )
    api.pump_streams()

    assert created.status == 201, created.body
    assert created.json()["icon"].endswith(f"/v1/media/{first}")
    assert replaced.status == 200, replaced.body
    assert replaced.json()["icon"].endswith(f"/v1/media/{second}")
    assert "ttl" in _upload_item(aws, first) and "referrers" not in _upload_item(aws, first)
    assert "ttl" not in _upload_item(aws, second)


def test_deleting_a_speaker_releases_its_photo_and_another_editor_may_send_it_back(api, aws):
    owner, editor = sign_up(api), sign_up(api)
    agenda = create_agenda(api, owner)
    add_member(api, owner, agenda, editor, "editor")
    photo = _ready(api, aws, owner)
    speaker = _speaker(api, owner, agenda, photo=photo).json()
    path = f"/v1/agendas/{agenda['id']}/speakers/{speaker['id']}"

    unchanged = api.request(
        "PUT", path, json_body={"name": "Ada L.", "photo": photo}, headers=editor["headers"]
    )
    deleted = api.request("DELETE", path, headers=owner["headers"])
    api.pump_streams()

    assert unchanged.status == 200, unchanged.body
    assert deleted.status == 204
    released = _upload_item(aws, photo)
    assert "ttl" in released and "referrers" not in released


def test_an_icon_sent_as_a_url_or_an_unknown_id_is_refused(api, aws):
    owner = sign_up(api)

    unknown = api.request(
        "POST",
        "/v1/agendas",
        json_body=agenda_body(icon="upl_01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        headers=owner["headers"],
    )

    assert unknown.status == 422 and unknown.json()["errors"][0]["pointer"] == "/icon"
    assert api.request("GET", "/v1/users/me/agendas", headers=owner["headers"]).json()["agendas"] == []


def test_a_rejected_or_expired_upload_cannot_be_referenced(api, aws):
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    expired = _ready(api, aws, owner)
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=aws["AgendaTable"],
        Key={"pk": {"S": f"UPLOAD#{expired}"}, "sk": {"S": "UPLOAD"}},
        UpdateExpression="SET #ttl = :past",  # past its day; DynamoDB's TTL has not removed it yet
        ExpressionAttributeNames={"#ttl": "ttl"},
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    lying = api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": "speaker_photo", "content_type": "image/png", "content_length": 6},
        headers=owner["headers"],
    ).json()
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws["UploadBucket"],
        Key=lying["upload"]["fields"]["key"],
        Body=b"GIF89a",
        ContentType="image/png",
    )
    api.pump_buckets()

    answers = [_speaker(api, owner, agenda, photo=upload) for upload in (expired, lying["id"])]

    assert [a.status for a in answers] == [422, 422]
    assert {a.json()["errors"][0]["code"] for a in answers} == {"unknown_upload"}
