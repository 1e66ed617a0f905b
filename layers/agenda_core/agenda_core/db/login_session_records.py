"""Sign-in sessions and guessing counters in the single table (docs/design.md "The table").

A session is a refresh-token *family* (RFC 9700 §4.14.2): the tokens one login leads to, each
spent by the refresh that rotates it to the next.

- ``FAMILY#<id>`` / ``FAMILY``: the session. It is what a revocation changes (``revoked``) and
  what every refresh checks (revoked, absolute and idle expiry). While live it is indexed as
  ``SESSIONS_OF#<usr_id>`` / ``<id>`` on gsi1, so "revoke my other sessions" is one Query; a
  revocation takes it out of the index.
- ``REFRESH#<sha256 of the token>`` / ``REFRESH``: one token of a family. Only the hash is stored
  (the token carries 256 random bits, so a plain SHA-256 leaves nothing to guess). Spent tokens
  stay until the family expires, so presenting one again is recognised as reuse.
- ``THROTTLE#<scope>#<sha256 of the subject>`` / ``WINDOW#<start>``: a fixed-window counter of
  failed logins (per email, per IP) or sign-ups (per IP). Subjects are hashed: the counters hold
  no email addresses or IPs.

All of them carry ``ttl`` (epoch seconds): DynamoDB deletes them late and moto never, so readers
check expiry themselves.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from agenda_core.db.base import TableItem

FAMILY_SK = "FAMILY"
REFRESH_SK = "REFRESH"


def family_pk(family_id: str) -> str:
    return f"FAMILY#{family_id}"


def sessions_of_pk(user_id: str) -> str:
    return f"SESSIONS_OF#{user_id}"


def refresh_pk(token_hash: str) -> str:
    return f"REFRESH#{token_hash}"


def throttle_pk(scope: str, subject_hash: str) -> str:
    return f"THROTTLE#{scope}#{subject_hash}"


def window_sk(window_start: int) -> str:
    return f"WINDOW#{window_start}"


class SessionFamilyRecord(TableItem, discriminator="login_session"):
    """One session. Times are epoch seconds (compared in code and in conditions)."""

    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    created_at = NumberAttribute()
    expires_at = NumberAttribute()  # created_at + absolute lifetime; also the item's ttl
    last_used_at = NumberAttribute()  # login or last rotation: the idle clock
    # The hash of the family's newest token: a parallel refresh inside the grace window gets
    # the successor only while it is still the newest (nobody has rotated it further).
    current_hash = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)
    revoked_at = NumberAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)


class RefreshTokenRecord(TableItem, discriminator="refresh_token"):
    """One refresh token of a family, by the hash of its plaintext."""

    family_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    issued_at = NumberAttribute()
    spent_at = NumberAttribute(null=True)
    successor_hash = UnicodeAttribute(null=True)


class ThrottleCounterRecord(TableItem, discriminator="throttle"):
    """Attempts in one fixed window; ``ttl`` is the window's end."""

    attempts = NumberAttribute(default=0)
