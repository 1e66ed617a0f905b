"""The upload bucket (template.yaml ``UploadBucket``; API.md §6): presigned POSTs for clients, and
what the upload processor reads, copies and deletes.

A presigned POST is signed here with the function's own credentials (no request to S3): its
policy pins the bucket, the key the server chose, the ``Content-Type`` and the exact length
declared, and expires after ``EXPIRES_SECONDS``. S3 refuses any other file; the processor checks
the stored object again all the same (RELIABILITY.md "upload": checked twice).
"""

from __future__ import annotations

from typing import Any

from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations.aws import client, is_unavailable
from agenda_core.settings import get_settings

EXPIRES_SECONDS = 10 * 60


def _bucket() -> str:
    return get_settings().upload_bucket


def presigned_post(key: str, content_type: str, content_length: int) -> dict[str, Any]:
    """``{"url", "fields"}`` for an HTML-form POST of exactly this file to ``key``."""
    return dict(
        client("s3").generate_presigned_post(
            Bucket=_bucket(),
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", content_length, content_length],
            ],
            ExpiresIn=EXPIRES_SECONDS,
        )
    )


def presigned_get(key: str, seconds: int = 300) -> str:
    """A link that reads the object for ``seconds``."""
    return str(
        client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": _bucket(), "Key": key}, ExpiresIn=seconds
        )
    )


def head(key: str) -> dict[str, Any] | None:
    """The object's size and type (``ContentLength``, ``ContentType``), or None when absent."""
    from botocore.exceptions import ClientError

    try:
        return dict(client("s3").head_object(Bucket=_bucket(), Key=key))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read(key: str, byte_range: str | None = None) -> bytes:
    """The object's bytes, or the HTTP ``Range`` asked for (``bytes=0-1023``, ``bytes=-16``).
    Raises ``ServiceUnavailable`` when S3 is throttled, failing or unreachable."""
    from botocore.exceptions import BotoCoreError, ClientError

    extra = {"Range": byte_range} if byte_range else {}
    try:
        answer = client("s3").get_object(Bucket=_bucket(), Key=key, **extra)
        return bytes(answer["Body"].read())
    except ClientError as error:
        # Throttled or failing S3 is a 503 to retry, not a broken file (tests/faults: an import
        # reading its file then failed with a generic error code).
        if is_unavailable(error):
            raise ServiceUnavailable(get_settings().retry_after_seconds) from error
        raise
    except BotoCoreError as error:  # a timeout or a dropped connection
        raise ServiceUnavailable(get_settings().retry_after_seconds) from error


def copy(source: str, target: str, content_type: str) -> None:
    """A server-side copy, served with ``content_type`` and cached for a year (ids never change)."""
    client("s3").copy_object(
        Bucket=_bucket(),
        Key=target,
        CopySource={"Bucket": _bucket(), "Key": source},
        MetadataDirective="REPLACE",
        ContentType=content_type,
        CacheControl="public, max-age=31536000, immutable",
    )


def delete(*keys: str) -> None:
    """Deletes the objects (absent ones are no error)."""
    if keys:
        client("s3").delete_objects(
            Bucket=_bucket(), Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
        )
