"""Strong ETags and conditional-request headers (RFC 9110 §8.8.3, §13) (a leaf: imports nothing
from agenda_core).

An ETag is ``"<version>.<variant>"``: ``version`` is the agenda's change counter (every write
under the agenda bumps it), or a content item's own revision, and ``variant`` tells apart representations of the same version (the
full agenda vs the agenda alone, what a member sees vs what the public sees, the base URL the
``url`` fields were built with). ``If-Match`` compares versions only: any representation of the
current version proves the client saw the current state.
"""

from __future__ import annotations

import hashlib
import re


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


# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
# One element of an If-None-Match list, with the optional whitespace around it and its comma.
_LIST_ELEMENT = re.compile(r'[ \t]*(?:(?:W/)?"(?P<tag>[\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)|[^,]*(?:,|$))')


def _opaque_tags(header: str) -> list[str]:
    """The opaque tags (without ``W/`` and quotes) of an entity-tag list; an element that is not an
    entity-tag (unquoted, a stray quote, text after the tag) is skipped: it can match nothing."""
    # The pattern matches at every position (its second branch takes anything up to a comma), so
    # the elements follow one another with nothing skipped.
    return [element["tag"] for element in _LIST_ELEMENT.finditer(header) if element["tag"] is not None]


def if_none_match_hit(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: does the client already hold this representation? Weak comparison (a
    ``W/`` tag matches its strong twin), a list matches when any of its tags does, ``*`` matches
    any current representation, and what is not an entity-tag matches nothing."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return etag.strip('"') in _opaque_tags(header)


def content_etag(text: str) -> str:
    """A strong ETag for a representation with no version of its own: a digest of its bytes."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'


def derived_etag(etag: str, *variant: str) -> str:
    """The ETag of a representation rendered from another one (an export of the full read): the
    same version, so ``If-Match`` reads it as the same state, and a variant digest over the source
    tag and what was rendered from it (the format, the filters), so it changes exactly when the
    source does and no two renderings share a tag. No ``variant``: the source tag itself."""
    if not variant:
        return etag
    head = etag.removeprefix("W/").strip('"').partition(".")[0]
    return make_etag(int(head) if head.isdigit() else 0, etag, *variant)


def gzip_variant(etag: str) -> str:
    """The strong ETag of the gzip-coded form of a representation (RFC 9110 §8.8.3: another
    content coding is another representation, so another strong tag): ``"<tag>-gzip"``."""
    return f'{etag[:-1]}-gzip"' if etag.endswith('"') else etag


def if_none_match_hit_any_coding(header: str | None, etag: str) -> bool:
    """``if_none_match_hit`` for a representation served plain or gzip-coded."""
    return if_none_match_hit(header, etag) or if_none_match_hit(header, gzip_variant(etag))
