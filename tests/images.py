"""Small real image files for the upload tests, made byte by byte (no imaging library)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 2, height: int = 2, *, declared: tuple[int, int] | None = None) -> bytes:
    """A grey PNG of ``width`` x ``height``; ``declared`` puts other dimensions in its header only
    (what a decompression bomb does: the header is all a check reads)."""
    header_width, header_height = declared or (width, height)
    ihdr = struct.pack(">IIBBBBB", header_width, header_height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int = 3, height: int = 2) -> bytes:
    """The markers of a baseline JPEG as far as a header check reads them: SOI, an APP0 segment,
    a start-of-frame with the dimensions, and EOI at the end."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\x00" * 32 + b"\xff\xd9"


def webp(width: int = 4, height: int = 3) -> bytes:
    """A lossless WebP (VP8L) header with these dimensions and a RIFF length that matches."""
    bits = (width - 1) | ((height - 1) << 14)
    data = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 11
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body
