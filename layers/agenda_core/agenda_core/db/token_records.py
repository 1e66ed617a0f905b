"""API tokens in the single table (API.md §2; docs/design.md "The table").

``TOKEN#<tok_id>`` / ``TOKEN`` holds one token: verifying a presented token is one GetItem by
primary key, because the token id is part of the plaintext (``services/token_format.py``). The
item is indexed as ``TOKENS_OF#<usr_id>`` / ``<tok_id>`` on gsi1, so a user's tokens list in
creation order (ids are ULIDs) with one Query. The secret itself is never stored, only its
SHA-256 (``secret_hash``).
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute

from agenda_core.db.base import TableItem

TOKEN_SK = "TOKEN"


def token_pk(token_id: str) -> str:
    return f"TOKEN#{token_id}"


def tokens_of_pk(user_id: str) -> str:
    return f"TOKENS_OF#{user_id}"


class ApiTokenRecord(TableItem, discriminator="api_token"):
    """One API token. ``expires_at`` / ``last_used_at`` are RFC 3339 text (``ids.iso``), so a
    condition can compare them as strings. No TTL: an expired token stays listed (and refused)
    until its owner deletes it, as GitHub shows expired tokens."""

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scopes = UnicodeSetAttribute()  # {"read"} or {"read", "write"}
    secret_hash = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)
    last_used_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
