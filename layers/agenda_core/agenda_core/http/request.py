"""What the edge reads off the current request: ids, base URL, headers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from agenda_core.settings import get_settings


def request_id(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    return str(context.get("requestId") or "unknown")


def source_ip(event: dict[str, Any]) -> str | None:
    """The client's address as API Gateway saw the connection (``requestContext.identity``):
    never ``X-Forwarded-For``, which the client writes. Behind CloudFront this would be
    CloudFront's address; there is no CDN in front of this API."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    value = identity.get("sourceIp")
    return str(value) if value else None


def header(app: APIGatewayRestResolver, name: str) -> str | None:
    value = app.current_event.headers.get(name)
    return None if value is None else str(value)


def base_url_of(event: dict[str, Any]) -> str:
    """The absolute base (without ``/v1``) that ``url`` fields are built on.

    PUBLIC_BASE_URL wins (custom domain); otherwise the execute-api host plus its stage, or the
    Host of a local server.
    """
    configured = get_settings().public_base_url
    if configured:
        return configured
    context = event.get("requestContext") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    domain = str(context.get("domainName") or headers.get("host") or "localhost")
    proto = headers.get("x-forwarded-proto") or (
        "http" if domain.startswith(("127.", "localhost", "[::1]")) else "https"
    )
    if ".execute-api." in domain and context.get("stage"):
        return f"{proto}://{domain}/{context['stage']}"
    return f"{proto}://{domain}"


def base_url(app: APIGatewayRestResolver) -> str:
    return base_url_of(app.current_event.raw_event)


def page_url_builder(app: APIGatewayRestResolver, param: str = "cursor") -> Any:
    """A function cursor -> absolute URL of the same list with that cursor in ``param`` (other
    params kept)."""
    from urllib.parse import urlencode

    event = app.current_event
    path = event.path
    params = {k: v for k, v in (event.query_string_parameters or {}).items() if k != param}
    root = base_url(app)

    def page_url(cursor: str) -> str:
        return f"{root}{path}?{urlencode({**params, param: cursor})}"

    return page_url
