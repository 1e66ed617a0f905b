"""Shared fixtures: AWS emulated in-process by moto, tables built from template.yaml.

The environment is set before anything imports agenda_core (settings are read once), and the
handlers are imported inside the mock (STYLE.md 5.6) by the GatewayApp on first request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.canaries"]  # canary secrets, watched over the whole run (RELIABILITY.md)
ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TABLE_NAME": "AgendaTable",
        "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
        "SIGNING_KEY_SECRET_ARN": "TokenSigningKeySecret",
        "CORS_ALLOW_ORIGINS": "https://app.example.com",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # Most tests read right after writing; the micro-cache has its own tests.
        "PUBLIC_READ_CACHE_SECONDS": "0",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

BASE_URL = "http://testserver"


def _reset_process_caches() -> None:
    """Forget what a warm container would remember between tests (keys, slug cache)."""
    from agenda_core.integrations import secrets
    from agenda_core.services import agendas, api_tokens, throttling
    from agenda_core.settings import get_settings

    get_settings.cache_clear()  # re-read at the first request, after the gateway set the env
    secrets.reset_cache()
    agendas._slug_cache.clear()
    api_tokens.forget_cached_tokens()
    throttling.reset_memo()


@pytest.fixture
def one_backup_per_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto (5.2) deep-copies a table once per item of every TransactWriteItems (its rollback
    copy), so content writes slow down as an agenda grows: one copy per table and transaction is
    all the rollback needs. DynamoDB's behaviour is unchanged (a cancelled transaction still
    leaves every table as it was: tests/integration/test_content_integrity.py)."""
    import copy
    from types import SimpleNamespace

    from moto.dynamodb import models

    copies: dict[int, Any] | None = None  # table id -> its backup, while a transaction runs
    original = models.DynamoDBBackend.transact_write_items

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        nonlocal copies
        copies = {}
        try:
            original(self, transact_items)
        finally:
            copies = None

    def deepcopy(thing: Any, memo: Any = None) -> Any:
        if copies is None or not isinstance(thing, models.Table):
            return copy.deepcopy(thing, memo)
        if id(thing) not in copies:
            copies[id(thing)] = copy.deepcopy(thing, memo)
        return copies[id(thing)]

    monkeypatch.setattr(models, "copy", SimpleNamespace(deepcopy=deepcopy))
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact)


@pytest.fixture
def aws(one_backup_per_table: None) -> Iterator[dict[str, str]]:
    """A fresh emulated AWS account with the template's resources; yields logical id -> name."""
    from moto import mock_aws

    from local.template import create_resources

    with mock_aws():
        refs = create_resources(TEMPLATE)
        _reset_process_caches()
        yield refs


def new_gateway(aws: dict[str, str]):  # type: ignore[no-untyped-def]
    """One warm "container" of the API, in-process. Every one the tests make carries the test
    environment's overrides: a gateway applies its functions' environment to the process, and one
    made without them would reset CORS_ALLOW_ORIGINS for the tests that follow."""
    from local.gateway import GatewayApp

    env = {k: v for k, v in os.environ.items() if k in {"CORS_ALLOW_ORIGINS", "POWERTOOLS_LOG_LEVEL"}}
    return GatewayApp(TEMPLATE, resources=aws, base_url=BASE_URL, env_overrides=env)


@pytest.fixture
def api(aws: dict[str, str]):  # type: ignore[no-untyped-def]
    """The API as API Gateway would serve it, in-process (no sockets)."""
    return new_gateway(aws)


@pytest.fixture
def atomic_requests(monkeypatch):  # type: ignore[no-untyped-def]
    """One AWS request at a time in moto, as DynamoDB executes each request atomically. moto is not
    thread-safe: a failed TransactWriteItems restores a copy of the table taken when it began,
    which in threads undoes a concurrent winner's writes. Requests still interleave freely."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock, original = threading.Lock(), BotocoreStubber.__call__

    def one_at_a_time(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", one_at_a_time)


@pytest.fixture
def aws_calls(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Every AWS API call made while the test runs, as ``service:Operation``."""
    from botocore.client import BaseClient

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(f"{self.meta.service_model.service_name}:{operation_name}")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls
