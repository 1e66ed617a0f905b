"""``GET /v1/users/me/agendas`` (API.md §2): the caller's agendas, in any state, with their role."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from agenda_core.schemas.agendas import AgendaPublic
from agenda_core.schemas.common import Pagination, PublicModel


class MyAgendaPublic(AgendaPublic):
    """An agenda as its member sees it in their list: the agenda fields plus the member's role."""

    role: Literal["owner", "editor", "viewer"] = Field(description="The caller's role on this agenda.")


class MyAgendaPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"agendas"})

    agendas: list[MyAgendaPublic]
    pagination: Pagination
