"""Success responses: JSON we serialise ourselves, with the headers API.md asks for.

Why not return models and let Powertools serialise them: its response validation would re-validate
our own output and re-add the empty optional fields API.md says to leave out (PublicModel's
serializer does that), and we need ETag / Location / Cache-Control beside the body anyway. The
success schema is still declared on each route (``responses=``), so OpenAPI is unchanged.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from agenda_core.etags import content_etag, gzip_variant, if_none_match_hit
from agenda_core.schemas.common import PublicModel

JSON = "application/json"
# API.md §1 "caching": what anyone may read is cacheable for a minute, revalidated in the background
# for five more, and served stale for a day while the origin fails (the CDN honours stale-if-error);
# everything else is private to its caller and never stored.
PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
PRIVATE_CACHE = "private, no-store"


def _json_text(body: PublicModel | dict[str, Any]) -> str:
    if isinstance(body, dict):
        # Already JSON-ready (the full agenda's hot path builds it without pydantic); the same
        # compact, UTF-8 form pydantic writes.
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return body.model_dump_json()


def json_response(
    body: PublicModel | dict[str, Any],
    status: int = 200,
    *,
    etag: str | None = None,
    location: str | None = None,
    public: bool = False,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    headers = {**(headers or {}), "Cache-Control": PUBLIC_CACHE if public else PRIVATE_CACHE}
    if etag:
        headers["ETag"] = etag
    if location:
        headers["Location"] = location
    return Response(status_code=status, content_type=JSON, body=_json_text(body), headers=headers)


def conditional_json(body: PublicModel, if_none_match: str | None) -> Response[str]:
    """A single-object GET whose ETag is a digest of its bytes, answering 304 when the client
    already holds them (the read happens either way; the bytes on the wire do not)."""
    text = body.model_dump_json()
    etag = content_etag(text)
    if if_none_match_hit(if_none_match, etag):
        return not_modified(etag, public=False)
    return Response(
        status_code=200, content_type=JSON, body=text, headers={"ETag": etag, "Cache-Control": PRIVATE_CACHE}
    )


def not_modified(etag: str, *, public: bool) -> Response[str]:
    return Response(
        status_code=304,
        content_type=None,
        body="",
        headers={"ETag": etag, "Cache-Control": PUBLIC_CACHE if public else PRIVATE_CACHE},
    )


def no_content() -> Response[str]:
    return Response(status_code=204, content_type=None, body="", headers={"Cache-Control": PRIVATE_CACHE})


def documented(
    model: type[BaseModel], description: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for a success answer whose body is ``model``."""
    entry: dict[str, Any] = {"description": description, "content": {JSON: {"model": model}}}
    if headers:
        entry["headers"] = headers
    return entry


def stored_json(
    gzipped: bytes, text: Callable[[], str], *, accepts_gzip: bool, etag: str, headers: dict[str, str]
) -> Response[Any]:
    """JSON stored gzip-compressed (a public snapshot): the bytes as they are when the client
    accepts gzip, else the decompressed text."""
    return coded_response(
        text,
        content_type=JSON,
        accepts_gzip=accepts_gzip,
        etag=etag,
        public=True,
        gzipped=gzipped,
        headers=headers,
    )


def coded_response(
    text: str | Callable[[], str],
    *,
    content_type: str,
    accepts_gzip: bool,
    etag: str,
    public: bool,
    gzipped: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """A representation served plain, or gzip-coded when the client accepts it: then it is another
    representation with its own strong ETag (RFC 9110 §8.8.3, ``etags.gzip_variant``), and caches
    keep the two apart by ``Vary: Accept-Encoding``. ``gzipped``: the bytes already compressed (a
    stored snapshot, sent as they are); otherwise ``text`` is compressed here, with no timestamp
    in the gzip header, so one ETag always names the same bytes."""
    headers = {
        **(headers or {}),
        "ETag": etag,
        "Cache-Control": PUBLIC_CACHE if public else PRIVATE_CACHE,
        "Vary": "Accept-Encoding",
    }
    if accepts_gzip:
        if gzipped is None:
            plain = text if isinstance(text, str) else text()
            gzipped = gzip.compress(plain.encode(), compresslevel=6, mtime=0)
        headers["ETag"] = gzip_variant(etag)
        # Base64 text flagged isBase64Encoded: API Gateway sends the bytes (binary media types
        # */*, template.yaml). Not a bytes body: Powertools' response validation would decode it.
        response = Response(
            status_code=200,
            content_type=content_type,
            body=base64.b64encode(gzipped).decode("ascii"),
            headers={**headers, "Content-Encoding": "gzip"},
        )
        response.base64_encoded = True
        return response
    body = text if isinstance(text, str) else text()
    return Response(status_code=200, content_type=content_type, body=body, headers=headers)


def not_modified_any_coding(
    etag: str, if_none_match: str | None, *, public: bool, vary: bool = True
) -> Response[str]:
    """The 304 of a representation served plain or gzip-coded (``coded_response``): it names the
    tag the client holds, the gzip form's when that is the one it sent."""
    held = gzip_variant(etag)
    answer = not_modified(held if if_none_match_hit(if_none_match, held) else etag, public=public)
    if vary:
        answer.headers["Vary"] = "Accept-Encoding"
    return answer
