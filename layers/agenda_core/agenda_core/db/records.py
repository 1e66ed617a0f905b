"""One record class per kind of item. Timestamps are stored as RFC 3339 text (see ``ids.iso``)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from agenda_core.db.base import TableItem


class UserRecord(TableItem, discriminator="user"):
    """``USER#<id>`` / ``USER``: the profile."""

    id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CredentialRecord(TableItem, discriminator="credential"):
    """``EMAIL#<email>`` / ``EMAIL``: claims the email (uniqueness) and holds the password hash,
    so that a login is one GetItem."""

    user_id = UnicodeAttribute()
    password_hash = UnicodeAttribute()


class AgendaRecord(TableItem, discriminator="agenda"):
    """``AGENDA#<id>`` / ``AGENDA``. ``roles`` maps user id to role so that the permission check
    rides on this item; ``version`` grows with every change under the agenda."""

    id = UnicodeAttribute()
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    published = BooleanAttribute(default=False)
    icon = UnicodeAttribute(null=True)
    start_at = UnicodeAttribute()  # YYYY-MM-DD, local to ``timezone``
    duration = NumberAttribute()
    timezone = UnicodeAttribute()
    version = NumberAttribute()
    roles = MapAttribute[str, str]()
    # The agenda's days as epoch seconds [window_start, window_end), kept beside start_at,
    # duration and timezone so that a session write checks "inside the agenda's days" with a
    # condition instead of a read (services/content.py).
    window_start = NumberAttribute(null=True)
    window_end = NumberAttribute(null=True)
    # How many items of each content kind the agenda holds: creates are capped by a condition on
    # these (settings.content_caps), deletes count down, in the same transaction.
    sessions_count = NumberAttribute(null=True)
    speakers_count = NumberAttribute(null=True)
    tracks_count = NumberAttribute(null=True)
    venues_count = NumberAttribute(null=True)
    categories_count = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # When the latest change under the agenda committed (db/commits.py sets it with ``version``):
    # a change cursor carries it, to tell an expired cursor from a read that has not caught up.
    changed_at = UnicodeAttribute(null=True)
    # Signs this agenda's cursors (list pages, the change feed; services/agenda_partition.py
    # cursor_key): random, made with the agenda, never in an answer. It rides on the agenda item
    # that every agenda-scoped read fetches anyway, so an anonymous read signs and checks cursors
    # with no Secrets Manager call, and no key rotation ever invalidates a change cursor.
    cursor_key = UnicodeAttribute(null=True)
    # How many webhook subscriptions the agenda has (db/webhook_records.py): a create is capped
    # by a condition on it (settings.webhooks_per_agenda), a delete counts down, in one transaction.
    webhooks_count = NumberAttribute(null=True)


# What an agenda change records of the agenda (db/commits.py ``state``): its fields as the public
# reads them, in their stored form, so an event can show the agenda as of that change. Never its
# roles, cursor key or the table's bookkeeping.
AGENDA_STATE_ATTRIBUTES = (
    "id",
    "slug",
    "name",
    "description",
    "location",
    "published",
    "icon",
    "start_at",
    "duration",
    "timezone",
    "version",
    "created_at",
    "updated_at",
)


def agenda_state(record: AgendaRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in AGENDA_STATE_ATTRIBUTES}
    return {name: value for name, value in values.items() if value is not None}


class SlugRecord(TableItem, discriminator="slug"):
    """``SLUG#<slug>`` / ``SLUG``: makes slugs unique (written in the same transaction)."""

    agenda_id = UnicodeAttribute()


class MembershipRecord(TableItem, discriminator="member"):
    """``AGENDA#<agenda>`` / ``MEMBER#<user>``, indexed as ``MEMBER_OF#<user>`` for "my agendas"."""

    agenda_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
