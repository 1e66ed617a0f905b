"""Uploads (API.md §6): a signed-in user gets a presigned POST for a file, then reads how its
check went; ready images are served at ``/v1/media/{upload_id}``."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/members/app.py).
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import IdempotencyKey, UploadIdParam
from agenda_core.http.request import base_url
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.uploads import UploadCreate, UploadCreated, UploadPublic
from agenda_core.services import uploads

app = create_app()


@app.post(
    "/v1/uploads",
    summary="Ask to upload a file: an agenda icon, a speaker photo or a schedule file",
    responses={
        201: documented(
            UploadCreated,
            "The upload, pending, and `upload`: POST the file there as a form (its `fields` first, "
            "then `file`) within 10 minutes. It is checked once stored.",
        )
    },
)
def handle_create_upload(body: UploadCreate, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        created = uploads.create_upload(caller, body, base_url(app))
        return json_response(created, 201, location=f"{base_url(app)}/v1/uploads/{created.id}")

    return idempotent_create(app, caller_id=caller.user_id, route_key="POST /v1/uploads", create=create)


@app.get(
    "/v1/uploads/<upload_id>",
    summary="One of your uploads: pending, ready (with its `url`) or rejected (with the reason)",
    responses={200: documented(UploadPublic, "The upload.")},
)
def handle_read_upload(upload_id: UploadIdParam) -> Response[Any]:
    return json_response(uploads.read_upload(current_caller(), upload_id, base_url(app)))


@app.get(
    "/v1/media/<upload_id>",
    summary="A ready image's bytes (a redirect to a short-lived link; the CDN serves them itself)",
    responses={302: {"description": "To the image; `Location` is valid for 5 minutes."}},
)
def handle_media(upload_id: UploadIdParam) -> Response[Any]:
    return Response(
        status_code=302,
        content_type=None,
        body="",
        headers={"Location": uploads.media_link(upload_id), "Cache-Control": "public, max-age=60"},
    )


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13
gc.enable()
