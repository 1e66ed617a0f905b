"""Absolute URLs of our objects (API.md §1: every object carries ``url``)."""

from __future__ import annotations


def agenda_url(base_url: str, agenda_id: str) -> str:
    return f"{base_url}/v1/agendas/{agenda_id}"


def me_url(base_url: str) -> str:
    """A user is reachable only as "me" (API.md §2), so that is the URL of the user object."""
    return f"{base_url}/v1/users/me"


def member_url(base_url: str, agenda_id: str, user_id: str) -> str:
    return f"{base_url}/v1/agendas/{agenda_id}/members/{user_id}"


def content_url(base_url: str, agenda_id: str, plural: str, item_id: str) -> str:
    """A session, speaker, track, venue or category (API.md §4)."""
    return f"{base_url}/v1/agendas/{agenda_id}/{plural}/{item_id}"


def webhook_url(base_url: str, agenda_id: str, webhook_id: str) -> str:
    """A webhook subscription's own address (its ``Location``; its ``url`` field is where events
    go, as API.md §7 names it)."""
    return f"{base_url}/v1/agendas/{agenda_id}/webhooks/{webhook_id}"


def media_url(base_url: str, upload_id: str) -> str:
    """Where a ready image is served: ``/v1/media/<id>`` of the API's public address (the CDN
    serves it from the upload bucket; the API itself answers with a redirect to a short-lived
    link). Agendas' ``icon`` and speakers' ``photo`` are these URLs."""
    return f"{base_url}/v1/media/{upload_id}"
