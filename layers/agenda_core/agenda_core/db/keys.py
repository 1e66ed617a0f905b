"""Key shapes of the single table (docs/design.md "The table")."""

from __future__ import annotations

from agenda_core.content_names import CONTENT

# Sort keys in an agenda's partition: the agenda and its members start with "#", content does not
# ("SESSION#...", "SPEAKER#..."), so one Query with sk < "$" reads the agenda with its members
# only ("#" < "$" < letters), and one Query without a condition reads everything.
AGENDA_SK = "#AGENDA"
MEMBERS_END = "$"
USER_SK = "USER"
EMAIL_SK = "EMAIL"
SLUG_SK = "SLUG"
PUBLISHED_GSI_PK = "PUBLISHED"


def agenda_pk(agenda_id: str) -> str:
    return f"AGENDA#{agenda_id}"


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def email_pk(normalised_email: str) -> str:
    return f"EMAIL#{normalised_email}"


def slug_pk(slug: str) -> str:
    return f"SLUG#{slug}"


def member_sk(user_id: str) -> str:
    return f"#MEMBER#{user_id}"


def member_of_pk(user_id: str) -> str:
    return f"MEMBER_OF#{user_id}"


# Content items (API.md §4) in an agenda's partition: "<KIND>#<id>", e.g. "SESSION#ses_01J...".
CONTENT_KINDS = tuple(kind.name for kind in CONTENT)


def content_sk(kind: str, item_id: str) -> str:
    return f"{kind.upper()}#{item_id}"


def published_sk(start_at: str, agenda_id: str) -> str:
    """Sorts published agendas soonest first, ties broken by id (so the order is stable)."""
    return f"{start_at}#{agenda_id}"


# The change log (db/commits.py): one item per committed version of an agenda, in a partition of
# its own so that the full-agenda Query does not grow with history.
def changes_pk(agenda_id: str) -> str:
    return f"CHANGES#{agenda_id}"


def change_sk(version: int) -> str:
    """Zero-padded, so that the log's items sort in commit order."""
    return f"V#{version:012d}"
