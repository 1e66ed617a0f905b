"""Docs (API.md §8): the merged OpenAPI document, and interactive documentation that works offline.

``GET /v1/openapi.json`` serves ``openapi.json`` beside this file: the document
``scripts/build_openapi.py`` merges from every function and commits (``make openapi``), bundled
in this function's CodeUri. ``GET /v1/docs`` is a Swagger UI page whose scripts and styles come
from ``GET /v1/docs/{asset}`` (vendored under ``static/``, see its README), so nothing is loaded
from the internet. Every file is read once per container, on first use; each answer carries a
strong ETag and honours ``If-None-Match``. No AWS service is touched (no boto3, no pynamodb).
"""

from __future__ import annotations

import gc
import hashlib
import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from agenda_core.etags import if_none_match_hit
from agenda_core.http.params import ETAG_HEADER, IfNoneMatch
from agenda_core.http.request import base_url_of
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import PUBLIC_CACHE, not_modified
from agenda_core.routes.wiring import create_app

HERE = FilePath(__file__).resolve().parent
OPENAPI_FILE = HERE / "openapi.json"
STATIC_DIR = HERE / "static"

# The files GET /v1/docs/{asset} serves, with their media types. A lookup in this table is the
# only way from the URL to the file system, so no path can reach anything else.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "docs-init.js": "text/javascript; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
}
AssetName = Literal[
    "swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js", "swagger-ui-bundle.js.LICENSE.txt"
]
assert set(get_args(AssetName)) == set(ASSETS), "AssetName and ASSETS must name the same files"

# The page loads only this API's own scripts, styles and document. Swagger UI sets inline style
# attributes and uses data: images in its CSS, hence those two allowances.
DOCS_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agenda API v1</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{prefix}/v1/docs/swagger-ui.css">
</head>
<body>
<noscript>The interactive documentation needs JavaScript; the document itself is at
<a href="{prefix}/v1/openapi.json">{prefix}/v1/openapi.json</a>.</noscript>
<div id="swagger-ui" data-spec-url="{prefix}/v1/openapi.json" data-api-base="{prefix}"></div>
<script src="{prefix}/v1/docs/swagger-ui-bundle.js" charset="utf-8"></script>
<script src="{prefix}/v1/docs/docs-init.js" charset="utf-8"></script>
</body>
</html>
"""

NOT_MODIFIED: dict[str, Any] = {"description": "Not modified (If-None-Match).", "content": {}}

app = create_app()


@dataclass(frozen=True)
class Document:
    body: str
    content_type: str
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


def _document(data: bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()) -> Document:
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    return Document(data.decode("utf-8"), content_type, etag, headers)


@cache
def openapi_document() -> Document:
    return _document(OPENAPI_FILE.read_bytes(), "application/json")


@cache
def asset_document(name: str) -> Document:
    return _document((STATIC_DIR / name).read_bytes(), ASSETS[name])


@cache
def docs_page(prefix: str) -> Document:
    escaped = html.escape(prefix, quote=True)
    body = DOCS_PAGE.format(prefix=escaped).encode()
    return _document(body, "text/html; charset=utf-8", (("Content-Security-Policy", DOCS_PAGE_CSP),))


def path_prefix(event: dict[str, Any]) -> str:
    """What comes before ``/v1`` in the URLs the client uses: "" or "/<stage>" or a base path."""
    return urlsplit(base_url_of(event)).path.rstrip("/")


def serve(document: Document, if_none_match: str | None) -> Response[Any]:
    if if_none_match_hit(if_none_match, document.etag):
        return not_modified(document.etag, public=True)
    return Response(
        status_code=200,
        content_type=document.content_type,
        body=document.body,
        headers={"Cache-Control": PUBLIC_CACHE, "ETag": document.etag, **dict(document.headers)},
    )


@app.get(
    "/v1/openapi.json",
    summary="The OpenAPI document of this API",
    responses={
        200: {
            "description": "The merged OpenAPI 3.1 document of every route.",
            "headers": ETAG_HEADER,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        304: NOT_MODIFIED,
    },
)
def handle_get_openapi(if_none_match: IfNoneMatch = None) -> Response[Any]:
    return serve(openapi_document(), if_none_match)


@app.get(
    "/v1/docs",
    summary="Interactive documentation (Swagger UI, served entirely by this API)",
    responses={
        200: {
            "description": "The documentation page.",
            "headers": ETAG_HEADER,
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        304: NOT_MODIFIED,
    },
)
def handle_get_docs(if_none_match: IfNoneMatch = None) -> Response[Any]:
    return serve(docs_page(path_prefix(app.current_event.raw_event)), if_none_match)


@app.get(
    "/v1/docs/<asset>",
    summary="A script or style sheet of the documentation page",
    responses={
        200: {
            "description": "The file.",
            "headers": ETAG_HEADER,
            "content": {
                "text/javascript": {"schema": {"type": "string"}},
                "text/css": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
        304: NOT_MODIFIED,
    },
)
def handle_get_docs_asset(
    asset: Annotated[AssetName, Path(description="The file's name.")],
    if_none_match: IfNoneMatch = None,
) -> Response[Any]:
    return serve(asset_document(asset), if_none_match)


lambda_handler = make_handler(app)
# STYLE.md 5.13: import-time objects never need collecting; freezing them keeps full GC passes short.
gc.freeze()
