"""The five kinds of agenda content (API.md §4), named once: the one declaration every layer
derives its names from (a leaf below all others: it imports nothing).

From a kind's ``name`` ("session") and ``plural`` ("sessions") and its id ``prefix`` ("ses")
follow: the path segment and the list's key (plural), the path parameter (``session_id``), the id
format (``ses_<ULID>``, db/ids.py), the sort key in the agenda's partition (``SESSION#<id>``,
db/keys.py), the policy's operations (``sessions.read``...) and routes (policy.py), the counter
on the agenda item and the cap in settings (services/content_kinds.py). The behaviour of each kind
(its records, models, representation, references) is ``services/content_kinds.ContentKind``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentName:
    name: str  # "session": the discriminator, the sort key's prefix, ids' kind
    plural: str  # "sessions": the path segment and the list's key
    prefix: str  # "ses": ids are "ses_<ULID>"

    @property
    def id_param(self) -> str:
        """The item id's path parameter: ``session_id``."""
        return f"{self.name}_id"


SESSION = ContentName("session", "sessions", "ses")
SPEAKER = ContentName("speaker", "speakers", "spk")
TRACK = ContentName("track", "tracks", "trk")
VENUE = ContentName("venue", "venues", "ven")
CATEGORY = ContentName("category", "categories", "cat")

CONTENT: tuple[ContentName, ...] = (SESSION, SPEAKER, TRACK, VENUE, CATEGORY)
