"""The committed OpenAPI document makes a working client with a common generator's defaults
(issue 13): `openapi-python-client generate` (pinned in pyproject's dev extra) writes a package
without errors or warnings (but one, below), and that package, as generated, drives the main flow against the dev
server (`python -m local.server`, tests/dev_server.py): sign up, sign in, create an agenda, a
speaker and a session, publish, and read the agenda anonymously.

The anonymous read passes the plain `Client`: the generator types operations whose security
allows anonymous callers (`[{}, {"bearerAuth": []}]`, OpenAPI's way to say "optional") as needing
an `AuthenticatedClient` (openapi-python-client issue 1372); at run time either client works.

The one warning: the generator reads JSON, text/* and octet-stream answers only, so
`schedule.xml`'s `application/xml` answer (the frab format's own media type, API.md §5) is left
untyped; its method is generated and returns the raw bytes (`sync_detailed(...).content`).
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.contract.conftest import OPENAPI_FILE
from tests.dev_server import REQUEST_SECONDS, dev_server

PACKAGE = "agenda_api_client"
GENERATE_SECONDS = 300.0  # a busy 2-core machine; it takes a few seconds when quiet
PATIENCE_SECONDS = 60.0  # API.md §5: an anonymous reader sees a publication within 5 s


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client generated from the committed document into a temporary directory, imported."""
    out = tmp_path_factory.mktemp("generated") / PACKAGE
    bin_dir = Path(sys.executable).parent  # the generator and the ruff it formats with
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(OPENAPI_FILE),
            "--output-path",
            str(out),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The one known warning, for schedule.xml's application/xml answer (see above), and no other.
    known = re.compile(
        r"WARNING parsing GET /v1/agendas/\{agenda_id\}/schedule\.xml within exports\.\s*"
        r"Cannot parse response for status code .*? \(Unsupported content_type application/xml\), "
        r"response will be omitted from generated client(\s*\{.*?\n\})?",
        re.S,
    )
    rest = known.sub("", output)
    assert "error" not in output.lower(), output
    assert "warning" not in rest.lower().replace("warning(s) encountered while generating", ""), output
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out.parent))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _operations(tag: str, *names: str) -> list[Any]:
    """The modules of `from agenda_api_client.api.<tag> import <name>, ...`, as a user imports
    them (each has `sync`, `sync_detailed`, `asyncio`...)."""
    return [importlib.import_module(f"{PACKAGE}.api.{tag}.{name}") for name in names]


def test_methods_are_named_by_operation_id(client_package: ModuleType) -> None:
    package_dir = Path(client_package.__file__ or "").parent
    generated = {path.stem for path in (package_dir / "api").glob("*/*.py") if path.stem != "__init__"}
    assert {
        "create_user",
        "create_token",
        "get_me",
        "create_agenda",
        "list_agendas",
        "get_agenda",
        "update_agenda",
        "list_changes",
        "create_session",
        "list_sessions",
        "get_session",
        "replace_session",
        "update_session",
        "delete_session",
        "create_upload",
        "get_media",
        "rotate_webhook_secret",
        "redeliver_webhook_delivery",
        "ping_webhook",
    } <= generated
    assert [name for name in generated if name.startswith("handle_")] == []


def test_the_generated_client_runs_the_main_flow_on_the_dev_server(client_package: ModuleType) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    [create_user] = _operations("users", "create_user")
    [create_token] = _operations("auth", "create_token")
    create_agenda, update_agenda, get_agenda = _operations(
        "agendas", "create_agenda", "update_agenda", "get_agenda"
    )
    [create_speaker] = _operations("speakers", "create_speaker")
    [create_session] = _operations("sessions", "create_session")
    berlin = ZoneInfo("Europe/Berlin")
    credentials = {"email": "generated@example.com", "password": "generated-client-password"}

    with dev_server() as dev:
        anonymous = client_package.Client(base_url=dev.url, timeout=REQUEST_SECONDS)
        user = create_user.sync(client=anonymous, body=models.UserCreate(**credentials, name="Ada"))
        assert isinstance(user, models.UserPublic), user
        tokens = create_token.sync(client=anonymous, body=models.TokenCreate(**credentials))
        assert isinstance(tokens, models.TokenPublic), tokens
        signed_in = client_package.AuthenticatedClient(
            base_url=dev.url, token=tokens.access_token, timeout=REQUEST_SECONDS
        )

        agenda = create_agenda.sync(
            client=signed_in,
            body=models.AgendaCreate(
                name="Generated Con", start_at=date(2027, 5, 12), duration=2, timezone="Europe/Berlin"
            ),
        )
        assert isinstance(agenda, models.AgendaPublic), agenda
        speaker = create_speaker.sync(
            agenda.id, client=signed_in, body=models.SpeakerCreate(name="Ada Lovelace")
        )
        assert isinstance(speaker, models.SpeakerPublic), speaker
        session = create_session.sync(
            agenda.id,
            client=signed_in,
            body=models.SessionCreate(
                title="Opening keynote",
                start_at=datetime(2027, 5, 12, 9, 0, tzinfo=berlin),
                end_at=datetime(2027, 5, 12, 9, 45, tzinfo=berlin),
                speaker_ids=[speaker.id],
            ),
        )
        assert isinstance(session, models.SessionPublic), session
        published = update_agenda.sync(agenda.id, client=signed_in, body=models.AgendaUpdate(published=True))
        assert isinstance(published, models.AgendaPublic), published

        read: Any = None
        deadline = time.monotonic() + PATIENCE_SECONDS
        while time.monotonic() < deadline:
            answer = get_agenda.sync_detailed(agenda.id, client=anonymous)
            read = answer.parsed
            if answer.status_code == HTTPStatus.OK and read.published and read.sessions:
                break
            time.sleep(0.05)

    assert (user.email, user.name, published.published) == ("generated@example.com", "Ada", True)
    assert isinstance(read, models.AgendaFull), read
    assert {
        "id": read.id,
        "name": read.name,
        "timezone": read.timezone,
        "start_at": read.start_at,
        "end_at": read.end_at,
        "published": read.published,
        "sessions": [(s.id, s.title, s.start_at, s.end_at, s.speaker_ids) for s in read.sessions],
        "speakers": [(s.id, s.name) for s in read.speakers],
    } == {
        "id": agenda.id,
        "name": "Generated Con",
        "timezone": "Europe/Berlin",
        "start_at": date(2027, 5, 12),
        "end_at": date(2027, 5, 13),
        "published": True,
        "sessions": [
            (
                session.id,
                "Opening keynote",
                datetime(2027, 5, 12, 9, 0, tzinfo=berlin),
                datetime(2027, 5, 12, 9, 45, tzinfo=berlin),
                [speaker.id],
            )
        ],
        "speakers": [(speaker.id, "Ada Lovelace")],
    }
