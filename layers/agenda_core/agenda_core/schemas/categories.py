"""Categories (API.md §4), each with an optional colour."""

from __future__ import annotations

from typing import ClassVar

from agenda_core.schemas.common import Pagination, PublicModel
from agenda_core.schemas.content_fields import Color, NamedCreate, NamedPublic, NamedUpdate


class CategoryCreate(NamedCreate):
    """POST /v1/agendas/{agenda_id}/categories, and PUT (optional fields left out are cleared)."""

    color: Color | None = None


class CategoryReplace(CategoryCreate):
    """PUT /v1/agendas/{agenda_id}/categories/{category_id}: the whole writable representation."""


class CategoryUpdate(NamedUpdate):
    """PATCH /v1/agendas/{agenda_id}/categories/{category_id}: an RFC 7396 merge patch."""

    color: Color | None = None


class CategoryPublic(NamedPublic):
    color: str | None = None


class CategoryPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"categories"})

    categories: list[CategoryPublic]
    pagination: Pagination
