"""Uploads in the single table (API.md §6; docs/design.md "Uploads").

One item per upload, ``UPLOAD#<upl_id>`` / ``UPLOAD``: who uploaded it, for what, what was
declared, and what the check found. The file itself is in the upload bucket: first at
``incoming/<upl_id>`` (where the presigned POST puts it; never served), then, once checked, an
image at ``v1/media/<upl_id>`` (the path of its public URL, which redirects to a short-lived link) and a schedule file at
``imports/<upl_id>``.

``ttl`` makes an upload that nothing references expire a day after it was made (DynamoDB's TTL
then removes the item, and the upload processor its objects). ``referrers`` names what
references it (``agd_…#icon``, ``spk_…#photo``): referencing adds a name and removes ``ttl`` in
the referencing write's own transaction; the stream-driven release removes the name and, once
none is left, puts ``ttl`` back.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute

from agenda_core.db.base import TableItem

UPLOAD_SK = "UPLOAD"
UNREFERENCED_SECONDS = 24 * 60 * 60  # an upload nothing references expires a day later
INCOMING_PREFIX = "incoming/"
MEDIA_PREFIX = "v1/media/"  # the URL's path is the key: a CDN could serve the bucket as is
IMPORTS_PREFIX = "imports/"


def upload_pk(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


def incoming_key(upload_id: str) -> str:
    return f"{INCOMING_PREFIX}{upload_id}"


def stored_key(upload_id: str, purpose: str) -> str:
    """Where a checked upload lives: images are served, schedule files are not."""
    return f"{IMPORTS_PREFIX if purpose == 'schedule_import' else MEDIA_PREFIX}{upload_id}"


class UploadRecord(TableItem, discriminator="upload"):
    id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # the uploader: the only one who reads or references it
    purpose = UnicodeAttribute()  # "agenda_icon", "speaker_photo", "schedule_import"
    content_type = UnicodeAttribute()
    content_length = NumberAttribute()  # as declared (the presigned policy pins it)
    status = UnicodeAttribute()  # "pending", "ready", "rejected"
    reason = UnicodeAttribute(null=True)  # a rejection's code
    detail = UnicodeAttribute(null=True)  # ... and its sentence
    size = NumberAttribute(null=True)  # as stored
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    referrers = UnicodeSetAttribute(null=True)
    expires_at = UnicodeAttribute()  # when the presigned POST stops working
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    def expired(self, now: int) -> bool:
        """Past its TTL (``now`` in epoch seconds): DynamoDB's TTL deletes late, and an item past
        it is gone already as far as anyone can tell."""
        return self.ttl is not None and int(self.ttl) <= now
