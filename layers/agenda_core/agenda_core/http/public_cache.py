"""A few seconds of in-container memory for anonymous reads of published agendas.

Apps read agendas in bursts: thousands of identical anonymous GETs within seconds. Those answers
are already public and cacheable for 60 s (``Cache-Control: public, max-age=60``), so a warm
container may serve the same bytes for a few seconds without asking DynamoDB again; the first
request after expiry reads and renders afresh. Members never go through this cache: they see
their own writes at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.responses import JSON, PUBLIC_CACHE, json_response, not_modified
from agenda_core.schemas.common import PublicModel

_MAX_ENTRIES = 256


class Rendered(Protocol):
    body: PublicModel | dict[str, Any]
    etag: str
    public: bool


@dataclass(frozen=True)
class _Entry:
    text: str
    etag: str
    expires: float


class PublicReadCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[Hashable, _Entry] = {}

    def clear(self) -> None:
        self._entries.clear()

    def respond(
        self,
        key: Hashable,
        *,
        if_none_match_hit: Callable[[str], bool],
        current_etag: Callable[[], tuple[str, bool]] | None,
        render: Callable[[], Rendered],
    ) -> Response[Any]:
        """A fresh cached answer, else one small read for a conditional request, else a render."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.expires > now:
            if if_none_match_hit(entry.etag):
                return not_modified(entry.etag, public=True)
            return Response(
                status_code=200,
                content_type=JSON,
                body=entry.text,
                headers={"ETag": entry.etag, "Cache-Control": PUBLIC_CACHE},
            )
        if current_etag is not None:
            etag, public = current_etag()
            if if_none_match_hit(etag):
                return not_modified(etag, public=public)
        rendered = render()
        response = json_response(rendered.body, etag=rendered.etag, public=rendered.public)
        if rendered.public and self.ttl_seconds > 0:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(str(response.body), rendered.etag, now + self.ttl_seconds)
        return response
