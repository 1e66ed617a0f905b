"""GET /v1/docs in a real browser: headless Chromium renders every operation, offline.

The dev server (`python -m local.server`) runs in its own process on a port it picks; Chromium loads
the page with networking beyond it switched off (no QUIC, no component updates, no background
traffic) and dumps the DOM after Swagger UI has rendered. In CI (CI set) Chromium must be there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.conftest import committed_document
from tests.dev_server import REQUEST_SECONDS, dev_server

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install chromium (see .ci/run)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs this test")
    return CHROMIUM


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`python -m local.server` on a port of its own choosing: its base URL once it is ready."""
    with dev_server() as dev:
        yield dev.url


def dump_dom(chromium: str, url: str, profile: Path) -> str:
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            # Any host but this machine is unresolvable: the page must work offline.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_docs_page_renders_every_operation(chromium: str, server: str, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    try:
        dom = dump_dom(chromium, f"{server}/v1/docs", profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)

    # Swagger UI rendered (not the noscript text, not the load-error message).
    assert 'class="swagger-ui"' in dom
    assert "Could not load the API description" not in dom
    assert re.search(r'<h1 class="title">Agenda API<', dom), dom[:2000]
    # One operation block per documented operation, with its method and path.
    rendered = Counter(
        (method.lower(), path)
        for method, path in re.findall(
            r'class="opblock opblock-(\w+)[^"]*".*?data-path="([^"]+)"', dom, flags=re.S
        )
    )
    documented = Counter(
        (method, path)
        for path, item in committed_document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )
    assert rendered == documented
    assert "/v1/agendas" in dom


def test_the_page_and_its_assets_come_from_the_server(server: str) -> None:
    with urllib.request.urlopen(f"{server}/v1/docs", timeout=REQUEST_SECONDS) as response:
        html = response.read().decode()
    for url in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        with urllib.request.urlopen(f"{server}{url}", timeout=REQUEST_SECONDS) as asset:
            assert asset.status == 200, url
    with urllib.request.urlopen(f"{server}/v1/openapi.json", timeout=REQUEST_SECONDS) as document:
        assert json.load(document) == committed_document()
