"""Where public snapshots live: one gzip object per published agenda in the snapshot bucket.

S3 rather than a DynamoDB item (docs/design.md "Public snapshots"): an anonymous full read then
costs no read units at all (a 50 KB item would cost ~6 per read, a third of the Query it
replaces), the object has no 400 KB item limit, and reads keep working while DynamoDB is
throttled or down. What the read path needs besides the bytes travels as object metadata, so
one GetObject answers a read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations.aws import client
from agenda_core.observability import logger
from agenda_core.settings import get_settings


@dataclass(frozen=True)
class StoredSnapshot:
    gzip: bytes
    etag: str  # the public full read's ETag at ``version``
    version: int
    slug: str
    base_url: str  # what the ``url`` fields inside were built on
    changes_cursor: str


def _key(agenda_id: str) -> str:
    return f"snapshots/{agenda_id}.json.gz"


def _unavailable(error: Exception) -> ServiceUnavailable:
    logger.warning("snapshot store unavailable", extra={"error": type(error).__name__})
    return ServiceUnavailable(get_settings().retry_after_seconds)


def put(agenda_id: str, snapshot: StoredSnapshot) -> None:
    client("s3").put_object(
        Bucket=get_settings().snapshot_bucket,
        Key=_key(agenda_id),
        Body=snapshot.gzip,
        ContentType="application/json",
        ContentEncoding="gzip",
        Metadata={
            "etag": snapshot.etag,
            "version": str(snapshot.version),
            "slug": snapshot.slug,
            "base-url": snapshot.base_url,
            "changes-cursor": snapshot.changes_cursor,
        },
    )


def delete(agenda_id: str) -> None:
    client("s3").delete_object(Bucket=get_settings().snapshot_bucket, Key=_key(agenda_id))


def get(agenda_id: str) -> StoredSnapshot | None:
    """The agenda's snapshot, or None when there is none (unpublished, deleted, not built yet).
    Raises ``ServiceUnavailable`` when the store cannot answer."""
    from botocore.exceptions import BotoCoreError, ClientError

    s3: Any = client("s3")
    try:
        answer = s3.get_object(Bucket=get_settings().snapshot_bucket, Key=_key(agenda_id))
        body = answer["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise _unavailable(error) from error
    except BotoCoreError as error:
        raise _unavailable(error) from error
    meta = answer.get("Metadata") or {}
    try:
        return StoredSnapshot(
            gzip=body,
            etag=meta["etag"],
            version=int(meta["version"]),
            slug=meta["slug"],
            base_url=meta["base-url"],
            changes_cursor=meta["changes-cursor"],
        )
    except (KeyError, ValueError):
        logger.warning("snapshot without its metadata: ignored", extra={"agenda_id": agenda_id})
        return None
