"""Categories (API.md §4), each with an optional colour."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, field_validator

from agenda_core.schemas.common import (
    Pagination,
    PublicModel,
    RequestModel,
    Timestamp,
    document_not_nullable,
    refuse_null,
)
from agenda_core.schemas.content_fields import Color, ContentName, LongText, Position


class CategoryCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/categories, and PUT (optional fields left out are cleared)."""

    name: ContentName
    description: LongText | None = None
    color: Color | None = None
    position: Position | None = None


class CategoryReplace(CategoryCreate):
    """PUT /v1/agendas/{agenda_id}/categories/{category_id}: the whole writable representation."""


class CategoryUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/categories/{category_id}: an RFC 7396 merge patch."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable("name"))

    name: ContentName | None = None
    description: LongText | None = None
    color: Color | None = None
    position: Position | None = None

    _not_null = field_validator("name", mode="before")(refuse_null)


class CategoryPublic(PublicModel):
    id: str
    url: str
    name: str
    description: str | None = None
    color: str | None = None
    position: int | None = None
    created_at: Timestamp
    updated_at: Timestamp


class CategoryPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"categories"})

    categories: list[CategoryPublic]
    pagination: Pagination
