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

from agenda_core.http.responses import JSON, json_response, not_modified
from agenda_core.schemas.common import PublicModel

_MAX_ENTRIES = 256
# Bounded by size too: a full agenda can be ~650 KB, and the function has 512 MB.
_MAX_BYTES = 32 * 1024 * 1024


class Rendered(Protocol):
    body: PublicModel | dict[str, Any]
    etag: str
    public: bool
    headers: dict[str, str]


@dataclass(frozen=True)
class _Entry:
    text: str
    etag: str
    headers: dict[str, str]  # every header of the answer (ETag and Cache-Control included)
    expires: float


class PublicReadCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._entries: dict[Hashable, _Entry] = {}
        self._bytes = 0

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

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
                headers=dict(entry.headers),
            )
        if current_etag is not None:
            etag, public = current_etag()
            if if_none_match_hit(etag):
                return not_modified(etag, public=public)
        if entry is not None:  # expired: forget it now rather than at the next clean-up
            self._forget(key)
        rendered = render()
        response = json_response(
            rendered.body, etag=rendered.etag, public=rendered.public, headers=rendered.headers
        )
        if rendered.public and self.ttl_seconds > 0:
            text = str(response.body)
            self._make_room(now, len(text))
            self._entries[key] = _Entry(
                text, rendered.etag, {k: str(v) for k, v in response.headers.items()}, now + self.ttl_seconds
            )
            self._bytes += len(text)
        return response

    def _forget(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.text)

    def _make_room(self, now: float, size: int) -> None:
        """Drops expired entries, then, if still too full, everything (entries live seconds)."""
        if len(self._entries) < _MAX_ENTRIES and self._bytes + size <= _MAX_BYTES:
            return
        for key in [k for k, e in self._entries.items() if e.expires <= now]:
            self._forget(key)
        if len(self._entries) >= _MAX_ENTRIES or self._bytes + size > _MAX_BYTES:
            self.clear()
