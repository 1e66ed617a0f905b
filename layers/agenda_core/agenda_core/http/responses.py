"""Success responses: JSON we serialise ourselves, with the headers API.md asks for.

Why not return models and let Powertools serialise them: its response validation would re-validate
our own output and re-add the empty optional fields API.md says to leave out (PublicModel's
serializer does that), and we need ETag / Location / Cache-Control beside the body anyway. The
success schema is still declared on each route (``responses=``), so OpenAPI is unchanged.
"""

from __future__ import annotations

import base64
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
    accepts gzip, else the decompressed text. Caches keep the two apart by Accept-Encoding."""
    headers = {**headers, "ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Encoding"}
    if accepts_gzip:
        headers["ETag"] = gzip_variant(etag)
        # Base64 text flagged isBase64Encoded: API Gateway sends the bytes (binary media types
        # */*, template.yaml). Not a bytes body: Powertools' response validation would decode it.
        response = Response(
            status_code=200,
            content_type=JSON,
            body=base64.b64encode(gzipped).decode("ascii"),
            headers={**headers, "Content-Encoding": "gzip"},
        )
        response.base64_encoded = True
        return response
    return Response(status_code=200, content_type=JSON, body=text(), headers=headers)
