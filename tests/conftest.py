"""Shared fixtures: AWS emulated in-process by moto, tables built from template.yaml.

The environment is set before anything imports agenda_core (settings are read once), and the
handlers are imported inside the mock (STYLE.md 5.6) by the GatewayApp on first request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "tests.canaries",
    "tests.stack_room",
    "tests.faults.figures",
]  # canary secrets, watched over the whole run (RELIABILITY.md); the fault figures (issue 14)
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
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

BASE_URL = "http://testserver"


def reset_process_caches() -> None:
    """Forget what a warm container would remember between tests (keys, slug cache)."""
    from agenda_core.integrations import secrets
    from agenda_core.services import agenda_partition, api_tokens, throttling
    from agenda_core.settings import get_settings

    get_settings.cache_clear()  # re-read at the first request, after the gateway set the env
    secrets.reset_cache()
    agenda_partition.forget_remembered()
    api_tokens.forget_cached_tokens()
    throttling.reset_memo()


# --- password hashing -------------------------------------------------------------------------

# Argon2id at its cheapest, for tests: argon2-cffi's defaults (m=64 MiB, t=3, p=4, what the
# product uses) cost ~115 ms per hash or check on this machine, and almost every test signs a
# user up and in; that was a third of the suite's time. The same library and code path run,
# with parameters no product setting can choose (Django's documentation recommends the same for
# test suites). tests/unit/test_passwords.py holds the real parameters and marks itself
# `real_password_hashing`; so do tests that start the dev server in a process of its own.
QUICK_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


@cache
def _quick_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(**QUICK_ARGON2)


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_password_hashing"):
        return
    from agenda_core.services import passwords

    monkeypatch.setattr(passwords, "_hasher", _quick_hasher)
    monkeypatch.setattr(passwords, "_dummy_hash", cache(lambda: _quick_hasher().hash("not-a-password")))


# --- the emulated AWS account ----------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def emulator_tuning() -> Iterator[None]:
    """moto's transactions back up the items they name, not whole tables, and its DynamoDB item
    answers are written as JSON directly (local/emulator.py)."""
    from local.emulator import direct_dynamodb_answers, undo_log_transactions

    with undo_log_transactions(), direct_dynamodb_answers():
        yield


def emulated_aws() -> Any:
    """moto's ``mock_aws``, keeping boto3's default session from one world to the next.

    By default moto swaps in a new boto3 session for every mock, and each session parses
    botocore's service and endpoint data again: ~100 ms and ~40 000 objects of cyclic garbage
    per test. Keeping it is safe: moto intercepts every session made after it was imported, and
    the session holds no AWS state (that lives in moto's backends, reset by every mock)."""
    from moto import mock_aws

    return mock_aws(config={"core": {"reset_boto3_session": False}})


@cache
def boto3_session() -> Any:
    """One boto3 Session for the tests' own calls (each new one parses botocore's data again)."""
    import boto3

    return boto3.session.Session(region_name=os.environ["AWS_REGION"])


# Gateways made during the current test, closed (their containers retired) when it ends.
_open_gateways: list[Any] = []


@pytest.fixture
def aws() -> Iterator[dict[str, str]]:
    """A fresh emulated AWS account with the template's resources; yields logical id -> name."""
    from local.resources import create_resources

    with emulated_aws():
        refs = create_resources(TEMPLATE, session=boto3_session())
        reset_process_caches()
        try:
            yield refs
        finally:
            while _open_gateways:
                _open_gateways.pop().close()


def new_gateway(aws: dict[str, str]):  # type: ignore[no-untyped-def]
    """One warm "container" of the API, in-process. Every one the tests make carries the test
    environment's overrides: a gateway applies its functions' environment to the process, and one
    made without them would reset CORS_ALLOW_ORIGINS for the tests that follow. It is closed when
    the test ends."""
    from local.gateway import GatewayApp

    env = {k: v for k, v in os.environ.items() if k in {"CORS_ALLOW_ORIGINS", "POWERTOOLS_LOG_LEVEL"}}
    gateway = GatewayApp(TEMPLATE, resources=aws, base_url=BASE_URL, env_overrides=env)
    _open_gateways.append(gateway)
    return gateway


@pytest.fixture
def api(aws: dict[str, str]):  # type: ignore[no-untyped-def]
    """The API as API Gateway would serve it, in-process (no sockets)."""
    return new_gateway(aws)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The login sessions' clock, frozen when the test starts; ``clock(seconds)`` moves it on.

    moto never expires anything, so the code checks expiry, grace windows and throttling windows
    against this clock itself. Frozen, not real time plus an offset: "29 s later" must stay
    inside a 30 s window however long the machine takes between two requests."""
    import time

    from agenda_core.services import login_sessions

    state = {"now": time.time()}
    monkeypatch.setattr(login_sessions, "clock", lambda: state["now"])

    def advance(seconds: float) -> None:
        state["now"] += seconds

    return advance


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
    """Every AWS API call the API's requests made while the test runs, as ``service:Operation``
    (not the stream pump's: local/streams.py delivers stream records between requests, as
    Lambda's event source mapping would, and its calls are not the request's)."""
    from botocore.client import BaseClient

    from local.streams import pumping

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if not pumping():
            calls.append(f"{self.meta.service_model.service_name}:{operation_name}")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls


@pytest.fixture
def loopback_receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Makes webhook receivers on loopback (tests/receivers.py), allowed as `make dev
    --allow-loopback-webhooks` allows them; stopped when the test ends."""
    from agenda_core.settings import get_settings
    from tests.receivers import Receiver

    monkeypatch.setenv("ALLOW_LOOPBACK_WEBHOOKS", "true")
    get_settings.cache_clear()
    started: list[Receiver] = []

    def receiver(status: int = 204) -> Receiver:
        started.append(Receiver(status).start())
        return started[-1]

    yield receiver
    for server in started:
        server.stop()
    get_settings.cache_clear()
