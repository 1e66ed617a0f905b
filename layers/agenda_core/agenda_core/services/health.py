"""Health: touch every dependency for real, and say which one failed."""

from __future__ import annotations

from collections.abc import Callable

from agenda_core.db import health as table_health
from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations import health as aws_health
from agenda_core.observability import logger
from agenda_core.schemas.health import HealthPublic


def _probe(name: str, touch: Callable[[], object]) -> str:
    try:
        touch()
    except Exception:  # noqa: BLE001 - any failure of a dependency is "unavailable", never a 500
        logger.exception("health check failed", extra={"dependency": name})
        return "unavailable"
    return "ok"


def check_health() -> HealthPublic:
    """Raises ``ServiceUnavailable`` (with the checks) when any dependency fails."""
    checks = {
        "dynamodb": _probe("dynamodb", table_health.touch_table),
        "idempotency_store": _probe("idempotency_store", aws_health.touch_idempotency_table),
        "secrets": _probe("secrets", aws_health.touch_signing_secret),
    }
    if any(state != "ok" for state in checks.values()):
        raise ServiceUnavailable(5, "A dependency is unavailable.").with_extra({"checks": checks})
    return HealthPublic(status="ok", checks=checks)
