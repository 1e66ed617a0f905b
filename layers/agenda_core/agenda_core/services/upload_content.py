"""What an uploaded file really is (API.md §6): read from its first and last bytes, never trusted
from the request.

An image must carry the signature of the type it was declared as (PNG, JPEG or WebP), be whole
(PNG ends with its IEND chunk, JPEG with its end-of-image marker, WebP's RIFF header gives its
exact length), and declare dimensions within 4096 x 4096 in its header. Dimensions are read
from the header alone: nothing is decoded, so a decompression bomb (a small file that declares
a huge image) is refused by what it declares. A schedule file must parse as the JSON or XML it
was declared as, without a document type (no entity expansion, no external entities).

Pure functions over bytes: the upload processor (services/upload_processor.py) fetches the bytes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

MAX_SIDE = 4096
# Enough of an image's head to reach its dimensions: a JPEG's metadata segments (EXIF, ICC
# profiles) come before its frame header and may take tens of KiB.
HEAD_BYTES = 256 * 1024
TAIL_BYTES = 16

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


@dataclass(frozen=True)
class Verdict:
    """``reason`` is None when the file is what it was declared as; else a code and a sentence."""

    reason: str | None = None
    detail: str = ""
    width: int | None = None
    height: int | None = None

    @property
    def accepted(self) -> bool:
        return self.reason is None


def _refused(reason: str, detail: str) -> Verdict:
    return Verdict(reason=reason, detail=detail)


def _png(head: bytes, tail: bytes) -> Verdict:
    if not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR" or len(head) < 24:
        return _refused("not_the_declared_type", "The file is not a PNG image.")
    width, height = struct.unpack(">II", head[16:24])
    if not tail.endswith(PNG_END):
        return _refused("truncated", "The PNG image is truncated (no IEND chunk at its end).")
    return Verdict(width=width, height=height)


# JPEG frame headers (start of frame) that carry the dimensions; C4, C8 and CC are other markers.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(head: bytes, tail: bytes) -> Verdict:
    if not head.startswith(b"\xff\xd8\xff"):
        return _refused("not_the_declared_type", "The file is not a JPEG image.")
    if not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return _refused("truncated", "The JPEG image is truncated (no end-of-image marker).")
    position = 2
    while position + 4 <= len(head):
        if head[position] != 0xFF:
            return _refused("unreadable_image", "The JPEG image's header is malformed.")
        marker = head[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", head[position + 2 : position + 4])
        if marker in _SOF_MARKERS:
            if position + 9 > len(head):
                break
            height, width = struct.unpack(">HH", head[position + 5 : position + 9])
            return Verdict(width=width, height=height)
        if length < 2:
            return _refused("unreadable_image", "The JPEG image's header is malformed.")
        position += 2 + length
    return _refused("unreadable_image", "The JPEG image's dimensions are not in its first 256 KiB.")


def _webp(head: bytes, size: int) -> Verdict:
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return _refused("not_the_declared_type", "The file is not a WebP image.")
    (riff_size,) = struct.unpack("<I", head[4:8])
    if riff_size + 8 != size:
        return _refused("truncated", "The WebP image's length is not the one its header declares.")
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return Verdict(width=width & 0x3FFF, height=height & 0x3FFF)
    if chunk == b"VP8L" and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return Verdict(width=(bits & 0x3FFF) + 1, height=((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return Verdict(width=width, height=height)
    return _refused("unreadable_image", "The WebP image's header is malformed.")


def check_image(content_type: str, head: bytes, tail: bytes, size: int) -> Verdict:
    """``head``: the file's first bytes (up to ``HEAD_BYTES``); ``tail``: its last bytes (up to
    ``TAIL_BYTES``); ``size``: its length."""
    if content_type == "image/png":
        verdict = _png(head, tail)
    elif content_type == "image/jpeg":
        verdict = _jpeg(head, tail)
    elif content_type == "image/webp":
        verdict = _webp(head, size)
    else:
        return _refused("unsupported_type", f"{content_type} is not an image type we take.")
    if verdict.accepted and not (
        0 < (verdict.width or 0) <= MAX_SIDE and 0 < (verdict.height or 0) <= MAX_SIDE
    ):
        return _refused(
            "too_many_pixels",
            f"The image is {verdict.width} × {verdict.height}; at most {MAX_SIDE} × {MAX_SIDE} is taken.",
        )
    return verdict


def check_schedule(content_type: str, data: bytes) -> Verdict:
    """A schedule file (API.md §8) must parse as what it was declared as."""
    if content_type == "application/json":
        try:
            json.loads(data)
        except (ValueError, RecursionError):
            return _refused("unparsable", "The file is not valid JSON.")
        return Verdict()
    if content_type == "application/xml":
        return _xml(data)
    return _refused("unsupported_type", f"{content_type} is not a schedule type we take.")


def _xml(data: bytes) -> Verdict:
    import xml.etree.ElementTree as ElementTree  # only schedule files need it

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return _refused("unparsable", "XML with a document type is not taken (no entities).")
    try:
        # No DTD (refused above), so no entity expansion or external entity to fear.
        ElementTree.fromstring(data)  # noqa: S314
    except (ElementTree.ParseError, ValueError, RecursionError):
        return _refused("unparsable", "The file is not well-formed XML.")
    return Verdict()
