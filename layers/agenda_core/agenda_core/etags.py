"""Strong ETags and conditional-request headers (RFC 9110 §8.8.3, §13) (a leaf: imports nothing
from agenda_core).

An ETag is ``"<version>.<variant>"``: ``version`` is the agenda's change counter (every write
under the agenda bumps it) and ``variant`` tells apart representations of the same version (the
full agenda vs the agenda alone, what a member sees vs what the public sees, the base URL the
``url`` fields were built with). ``If-Match`` compares versions only: any representation of the
current version proves the client saw the current state.
"""

from __future__ import annotations

import hashlib


def make_etag(version: int, *variant: str) -> str:
    digest = hashlib.sha256("\x1f".join(variant).encode()).hexdigest()[:12]
    return f'"{version}.{digest}"'


def _versions(header: str) -> set[int]:
    versions = set()
    for raw in header.split(","):
        tag = raw.strip().removeprefix("W/").strip('"')
        head, _, _ = tag.partition(".")
        if head.isdigit():
            versions.add(int(head))
    return versions


def if_match_satisfied(header: str | None, current_version: int) -> bool:
    """RFC 9110 §13.1.1: no header, ``*`` (the resource exists), or a tag of the current version."""
    if header is None:
        return True
    if header.strip() == "*":
        return True
    return current_version in _versions(header)


def if_match_versions(header: str | None) -> set[int] | None:
    """The versions an ``If-Match`` accepts: ``None`` when any will do (no header or ``*``)."""
    if header is None or header.strip() == "*":
        return None
    return _versions(header)


def if_none_match_hit(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 (weak comparison): does the client already hold this representation?"""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    bare = etag.strip('"')
    return any(raw.strip().removeprefix("W/").strip('"') == bare for raw in header.split(","))


def content_etag(text: str) -> str:
    """A strong ETag for a representation with no version of its own: a digest of its bytes."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'
