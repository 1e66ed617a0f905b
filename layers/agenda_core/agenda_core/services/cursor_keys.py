"""The keys that sign an agenda's cursors: its list pages and its change feed (API.md §1, §5).

Cursors are opaque and tamper-proof (db/cursors.py: an HMAC over the position and the query).
Each agenda has a random key of its own (``AgendaRecord.cursor_key``, made with the agenda, never
in an answer), kept on the agenda item that every agenda-scoped read fetches anyway: signing and
checking a cursor costs no request, an anonymous read makes no Secrets Manager call (and pays no
client for it in a cold start), a cursor of one agenda is foreign to every other, and rotating the
service's signing key never invalidates a change cursor an app holds for weeks.

Agendas written before their items carried a key sign with a key derived from the service's
signing key (integrations/secrets.py), as every cursor did then, so their cursors stay valid.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from agenda_core.db.records import AgendaRecord

# What each kind of cursor is for; a key derived for one never verifies another.
LIST_PAGES = "cursor"
CHANGES = "change-cursor"


def new_cursor_key() -> str:
    """A fresh agenda's key: 32 random bytes, base64url."""
    return secrets.token_urlsafe(32)


def cursor_key(agenda: AgendaRecord, purpose: str) -> bytes:
    """The key that signs ``purpose``'s cursors of ``agenda``."""
    if agenda.cursor_key:
        return _derive(_own_key(agenda.cursor_key), purpose)
    # An agenda older than its key: the service key, fetched (once per container) only here.
    from agenda_core.integrations.secrets import signing_key

    return signing_key().derive(purpose)


# Looked up at each call (not bound by importers), so the suite's canary watch can see every key
# (tests/canaries.py): none may ever appear in an answer or a log.
def _own_key(stored: str) -> bytes:
    return base64.urlsafe_b64decode(stored + "=" * (-len(stored) % 4))


def _derive(own: bytes, purpose: str) -> bytes:
    return hmac.new(own, purpose.encode(), hashlib.sha256).digest()
