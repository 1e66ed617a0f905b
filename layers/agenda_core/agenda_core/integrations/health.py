"""Real round trips to the other dependencies for the health check."""

from __future__ import annotations

from agenda_core.integrations.aws import client
from agenda_core.integrations.secrets import parse_secret
from agenda_core.settings import get_settings


def touch_idempotency_table() -> None:
    client("dynamodb").get_item(
        TableName=get_settings().idempotency_table_name, Key={"id": {"S": "health-check"}}
    )


def touch_signing_secret() -> None:
    # Uncached on purpose: the check is that Secrets Manager answers now, with a usable key ring
    # (a malformed one raises SigningKeyMisconfigured: every token route would fail).
    raw = client("secretsmanager").get_secret_value(SecretId=get_settings().signing_key_secret_arn)
    parse_secret(raw["SecretString"])
