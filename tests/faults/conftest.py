"""The fault-injection suite's world: one emulated AWS account per test module (per xdist worker),
the in-process gateway over it, and the world of tests/faults/world.py, made once and put back
after every case (tests/faults/tables.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from tests.conftest import (
    BASE_URL,
    TEMPLATE,
    _quick_hasher,
    boto3_session,
    emulated_aws,
    reset_process_caches,
)
from tests.faults.injection import Injector
from tests.faults.tables import Dump, Tables
from tests.faults.world import World, build_world


@dataclass
class Stage:
    """What every case runs on: the gateway, the world, and the tables as the world left them."""

    api: Any
    world: World
    tables: Tables
    base: Dump
    injector: Injector = field(default_factory=Injector)

    def reset(self) -> None:
        """Forget what a warm container remembers, so that every case starts alike (the calls of
        a clean run are the calls each faulted run makes, up to the fault)."""
        from agenda_core.services import snapshots

        reset_process_caches()
        snapshots.forget_held()


@pytest.fixture(scope="module")
def stage() -> Iterator[Stage]:
    from agenda_core.services import passwords
    from local.gateway import GatewayApp, apply_environment
    from local.resources import create_resources

    saved = dict(os.environ)
    try:
        with emulated_aws(), pytest.MonkeyPatch.context() as patch:
            # The autouse quick_password_hashing of tests/conftest.py, for the whole module: the
            # world's users must be hashed as the cases check them (or every login would rehash).
            patch.setattr(passwords, "_hasher", _quick_hasher)
            patch.setattr(passwords, "_dummy_hash", cache(lambda: _quick_hasher().hash("not-a-password")))
            refs = create_resources(TEMPLATE, session=boto3_session())
            env = {k: v for k, v in os.environ.items() if k in {"CORS_ALLOW_ORIGINS", "POWERTOOLS_LOG_LEVEL"}}
            api = GatewayApp(TEMPLATE, resources=refs, base_url=BASE_URL, env_overrides=env, streams="manual")
            apply_environment(api.environment())
            reset_process_caches()
            try:
                world = build_world(api, refs)
                _record_no_stream_records()
                tables = Tables.of_template()
                yield Stage(api, world, tables, tables.dump())
            finally:
                api.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_process_caches()


def _record_no_stream_records() -> None:
    """Nothing pumps the streams once the world is made (the cases are about the request alone),
    so moto need not keep thousands of records (as tests/contract/conftest.py does)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].tables.values():
        assert hasattr(table, "stream_shard"), "moto changed: see _record_no_stream_records"
        table.stream_shard = None


@pytest.fixture(scope="module")
def world() -> Iterator[Any]:
    """The consumers' world (tests/faults/consumer_world.py), for every module that drives them."""
    import sys

    from tests.faults.consumer_world import consumer_world

    with consumer_world() as made:
        # The delivering function attempts a batch's messages side by side; one at a time here,
        # so that "call N" is the same call in every run (the duplicate test puts them back).
        made.api.invoke("WebhookDeliveryFunction", {"Records": []})
        module = sys.modules[made.api._functions["WebhookDeliveryFunction"].loaded.module_name]
        workers, module._WORKERS = module._WORKERS, 1
        try:
            yield made
        finally:
            module._WORKERS = workers
