"""The caller's own account (API.md §2): PATCH /v1/users/me."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictStr, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from agenda_core.schemas.common import RequestModel, document_not_nullable, refuse_null
from agenda_core.schemas.users import Password, PersonName

# What the caller types as their current password: capped like a login's, not judged by the
# rules for new passwords (it predates them, perhaps).
CurrentPassword = Annotated[StrictStr, StringConstraints(min_length=1, max_length=256)]

_NOT_NULLABLE = ("name", "password", "current_password")


def _document(schema: dict[str, Any]) -> None:
    """The OpenAPI of UserUpdate: no field takes null, and a new password comes with the current
    one (and only with it): JSON Schema's ``dependentRequired`` says so, the service enforces it."""
    document_not_nullable(*_NOT_NULLABLE)(schema)
    schema["dependentRequired"] = {"password": ["current_password"], "current_password": ["password"]}


class UserUpdate(RequestModel):
    """PATCH /v1/users/me: an RFC 7396 merge patch. Changing the password needs the current one;
    it ends every other session of the account. The email cannot be changed here."""

    model_config = ConfigDict(json_schema_extra=_document)

    name: PersonName | None = None
    password: Password | None = Field(default=None, description="The new password (12-256 characters).")
    current_password: CurrentPassword | None = Field(
        default=None, description="Required with `password`: the password the account has now."
    )
    # Not a writable field: declared (and left out of the document) only so that sending it is a
    # 422 "read_only_field" naming it, rather than "unknown_field".
    email: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    _not_null = field_validator(*_NOT_NULLABLE, mode="before")(refuse_null)

    @field_validator("email", mode="before")
    @classmethod
    def _read_only(cls, value: Any) -> Any:
        raise PydanticCustomError("read_only_field", "'email' is read-only and cannot be changed here.")
