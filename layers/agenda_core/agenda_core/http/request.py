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


def accepts_gzip(accept_encoding: str | None) -> bool:
    """RFC 9110 §12.5.3: does the client take ``Content-Encoding: gzip``? ``gzip`` (or ``x-gzip``)
    or ``*`` with a q-value above 0, unless gzip itself is refused with ``q=0``. Junk reads as
    "no" (the decompressed answer is never wrong)."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        weight = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                weight = 0.0
        coding = coding.strip().lower()
        if coding:
            weights[coding] = weight
    for coding in ("gzip", "x-gzip"):
        if coding in weights:
            return weights[coding] > 0
    return weights.get("*", 0.0) > 0
