"""Uploads (API.md §6): the client posts the file straight to storage; it is checked after."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import ConfigDict, Field, JsonValue

from agenda_core.schemas.common import PublicModel, RequestModel, Timestamp

Purpose = Literal["agenda_icon", "speaker_photo", "schedule_import"]
ImageType = Literal["image/png", "image/jpeg", "image/webp"]
ScheduleType = Literal["application/json", "application/xml"]
ContentType = Literal[ImageType, ScheduleType]  # one flat list of the five, for one 422 pointer
IMAGE_TYPES: tuple[str, ...] = get_args(ImageType)
SCHEDULE_TYPES: tuple[str, ...] = get_args(ScheduleType)
# Bytes each purpose takes (API.md §6, RELIABILITY.md "upload").
MAX_BYTES: dict[str, int] = {
    "agenda_icon": 5 * 1024 * 1024,
    "speaker_photo": 5 * 1024 * 1024,
    "schedule_import": 10 * 1024 * 1024,
}
TYPES_FOR: dict[str, tuple[str, ...]] = {
    "agenda_icon": IMAGE_TYPES,
    "speaker_photo": IMAGE_TYPES,
    "schedule_import": SCHEDULE_TYPES,
}


def _combinations() -> list[JsonValue]:
    """The schema's statement of what each purpose takes (the service checks the same table)."""
    return [
        {
            "properties": {
                "purpose": {"enum": list[JsonValue](purposes)},
                "content_type": {"enum": list[JsonValue](TYPES_FOR[purposes[0]])},
                "content_length": {"maximum": MAX_BYTES[purposes[0]]},
            }
        }
        for purposes in (["agenda_icon", "speaker_photo"], ["schedule_import"])
    ]


class UploadCreate(RequestModel):
    """POST /v1/uploads."""

    model_config = ConfigDict(json_schema_extra={"oneOf": _combinations()})

    purpose: Purpose = Field(description="What the file is for: it decides the types and size taken.")
    content_type: ContentType = Field(
        description="Images (`agenda_icon`, `speaker_photo`): PNG, JPEG or WebP; "
        "`schedule_import`: JSON or XML. Checked against the file's content after upload."
    )
    content_length: int = Field(
        ge=1,
        le=max(MAX_BYTES.values()),
        description="The file's exact size in bytes: images at most 5 MiB, schedule files 10 MiB.",
    )


class PresignedPost(PublicModel):
    """An HTML-form style POST straight to storage: send `fields` first, then the file as `file`."""

    method: Literal["POST"]
    url: str
    fields: dict[str, str]


class UploadPublic(PublicModel):
    id: str
    purpose: Purpose
    content_type: str
    content_length: int
    status: Literal["pending", "ready", "rejected"] = Field(
        description="`pending` until the file is stored and checked; `ready` (images carry their "
        "`url`) or `rejected` (with `reason` and `detail`; the file is deleted)."
    )
    url: str | None = Field(default=None, description="Where a ready image is served.")
    width: int | None = None
    height: int | None = None
    reason: str | None = Field(
        default=None,
        description="`not_the_declared_type`, `truncated`, `too_many_pixels`, `unreadable_image`, "
        "`unparsable`, `size_mismatch` or `too_large`.",
    )
    detail: str | None = None
    expires_at: Timestamp = Field(description="Until when `upload` can be used.")
    created_at: Timestamp
    updated_at: Timestamp


class UploadCreated(UploadPublic):
    """The answer of POST /v1/uploads: the upload, and how to send the file (valid 10 minutes)."""

    upload: PresignedPost
