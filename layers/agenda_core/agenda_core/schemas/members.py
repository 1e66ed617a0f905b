"""Agenda members and their roles (API.md §3)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from agenda_core.schemas.common import Pagination, PublicModel, RequestModel, Timestamp
from agenda_core.schemas.users import Email

Role = Literal["owner", "editor", "viewer"]


class MemberCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/members: a user, by the email they signed up with."""

    email: Email
    role: Role


class MemberUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/members/{user_id} (a merge patch: ``role`` is all there is)."""

    role: Role = Field(description="The new role. The last owner cannot be demoted.")


class MemberPublic(PublicModel):
    id: str = Field(description="The member's user id.")
    url: str
    email: str
    name: str | None = None
    role: Role
    created_at: Timestamp = Field(description="When they became a member.")
    updated_at: Timestamp


class MemberPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"members"})

    members: list[MemberPublic]
    pagination: Pagination
