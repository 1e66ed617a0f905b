"""RFC 9457 problem details: one shape for every error we answer."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.errors import ApiError, FieldError

PROBLEM_JSON = "application/problem+json"


def problem_body(
    *,
    status: int,
    title: str,
    code: str,
    detail: str,
    instance: str,
    request_id: str,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = [error.as_dict() for error in errors]
    if extra:
        body.update(extra)
    return body


def problem_response(error: ApiError, *, instance: str, request_id: str) -> Response[str]:
    body = problem_body(
        status=error.status,
        title=error.title,
        code=error.error_code,
        detail=error.detail,
        instance=instance,
        request_id=request_id,
        errors=getattr(error, "errors", None),
        extra=error.extra,
    )
    # STYLE.md 5.1: Powertools serialises dicts only for application/json, so dump it ourselves.
    return Response(
        status_code=error.status,
        content_type=PROBLEM_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=dict(error.headers),
    )
