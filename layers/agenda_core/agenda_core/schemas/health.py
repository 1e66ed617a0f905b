"""GET /v1/health (API.md §8)."""

from __future__ import annotations

from typing import Literal

from agenda_core.schemas.common import PublicModel


class HealthPublic(PublicModel):
    status: Literal["ok"]
    checks: dict[str, Literal["ok", "unavailable"]]
