"""Contract tests: template.yaml, the code and the OpenAPI document agree (STYLE.md §4).

One emulated world per test module: moto's `mock_aws` with the template's tables and secret
(`local.resources.create_resources`) behind the in-process API Gateway (`local.gateway.GatewayApp`).
The environment is set before anything imports a handler (STYLE.md 5.6), and the settings cache
is cleared once the gateway has put the template's values in it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import boto3_session, emulated_aws, reset_process_caches

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
OPENAPI_FILE = ROOT / "functions" / "docs" / "openapi.json"
EVENTS_DIR = ROOT / "events"
BASE_URL = "http://testserver"
REGION = "us-east-1"

# Before any handler or boto3 client exists: fake credentials, one region, no real endpoint.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for _name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_PROFILE"]:
    del os.environ[_name]


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_openapi", ROOT / "scripts" / "build_openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_openapi"] = module
    spec.loader.exec_module(module)
    return module


build_openapi = _load_build_script()


def committed_document() -> dict[str, Any]:
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    return committed_document()


@pytest.fixture(scope="session")
def function_apps() -> dict[str, Any]:
    """name -> the `app` of functions/<name>/app.py, imported as the build script does."""
    return build_openapi.load_apps()


@dataclass
class Account:
    email: str
    password: str
    name: str
    user: dict[str, Any]
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up_and_log_in(gateway: Any, email: str, password: str, name: str) -> Account:
    """A user through the API itself (POST /v1/users, POST /v1/auth/token)."""
    created = gateway.request(
        "POST", "/v1/users", json_body={"email": email, "password": password, "name": name}
    )
    assert created.status == 201, created.body
    login = gateway.request("POST", "/v1/auth/token", json_body={"email": email, "password": password})
    assert login.status == 200, login.body
    return Account(email, password, name, created.json(), login.json()["access_token"])


# Every generated request comes from one address, and how many logins fail or sign-ups succeed
# depends on what was generated before: with the real guessing limits, the same case would get a
# 201 or a 429 by history (Hypothesis calls that flaky, rightly). The limits themselves are held
# by tests/integration/test_login_throttling.py.
FUZZING_LIMITS = {
    "LOGIN_FAILURES_PER_EMAIL": "100000",
    "LOGIN_FAILURES_PER_IP": "100000",
    "SIGNUPS_PER_IP": "100000",
}


@pytest.fixture(scope="module")
def gateway() -> Iterator[Any]:
    """The whole API in-process, over moto, with the tables and secret of template.yaml.

    The template's environment is put in os.environ for the module and taken out after, so
    tests elsewhere see the environment they set up.
    """
    from local.gateway import GatewayApp, apply_environment
    from local.resources import create_resources

    saved = dict(os.environ)
    try:
        with emulated_aws():
            refs = create_resources(str(TEMPLATE), region=REGION, session=boto3_session())
            record_no_stream_records()
            # No stream delivery here (see record_no_stream_records): anonymous full reads are
            # rendered from the table, the path a read takes before its snapshot exists.
            app = GatewayApp(
                str(TEMPLATE), resources=refs, base_url=BASE_URL, region=REGION, streams="manual"
            )
            # What the first request would do, done now so the settings read the right values.
            apply_environment(app.environment())
            os.environ.update(FUZZING_LIMITS)
            reset_process_caches()
            try:
                yield app
            finally:
                app.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_process_caches()


def record_no_stream_records() -> None:
    """moto keeps every stream record of a table for ever, so a world that lives for a whole
    module (thousands of Schemathesis writes) keeps growing. This world delivers no stream records
    (its gateway's streams="manual": public snapshots have their own tests), so the tables keep the
    stream specification of template.yaml but record nothing. moto has no public switch for this (turning a stream off
    through UpdateTable keeps its shard). Its other cost, whole-table copies per transaction, is
    gone for every test (local/emulator.py)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables.values():
        assert hasattr(table, "stream_shard"), "moto changed: see record_no_stream_records"
        table.stream_shard = None


@pytest.fixture(scope="module")
def account(gateway: Any) -> Account:
    """A signed-up user with a valid access token."""
    return sign_up_and_log_in(
        gateway, "contract-tests@example.com", "contract-canary-password-1", "Contract Tests"
    )


ItemKey = tuple[str, str]  # (table, the item's key as sorted JSON)


def item_keys() -> set[ItemKey]:
    """The key of every item in the template's tables (inside the fixture's mock)."""
    return {key for key, _ in _items()}


def empty_tables(keep: Collection[ItemKey] = ()) -> None:
    """Delete every item of the template's tables but those in `keep` (inside the fixture's
    mock): a fresh world."""
    import boto3

    client = boto3.client("dynamodb", region_name=REGION)
    for key, (table, item_key) in _items():
        if key not in keep:
            client.delete_item(TableName=table, Key=item_key)


def _items() -> Iterator[tuple[ItemKey, tuple[str, dict[str, Any]]]]:
    import boto3

    from local.template import table_specs

    client = boto3.client("dynamodb", region_name=REGION)
    for spec in table_specs(str(TEMPLATE)):
        keys = [key["AttributeName"] for key in spec.create_kwargs["KeySchema"]]
        for page in client.get_paginator("scan").paginate(
            TableName=spec.logical_id,
            ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
            ExpressionAttributeNames={f"#k{i}": key for i, key in enumerate(keys)},
        ):
            for item in page["Items"]:
                item_key = {key: item[key] for key in keys}
                yield (spec.logical_id, json.dumps(item_key, sort_keys=True)), (spec.logical_id, item_key)
