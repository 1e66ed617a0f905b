"""One record class per kind of item. Timestamps are stored as RFC 3339 text (see ``ids.iso``)."""

from __future__ import annotations

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
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


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
