"""The docs function: the committed document, the offline Swagger UI page and its assets."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from local.lambda_runtime import new_context
from local.template import functions
from tests.builders import PUBLIC_CACHE
from tests.contract.conftest import OPENAPI_FILE, REGION, ROOT, TEMPLATE, build_openapi

DOCS_DIR = ROOT / "functions" / "docs"
STATIC_DIR = DOCS_DIR / "static"
REQUEST_ID = re.compile(r"^[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def docs() -> Any:
    """The docs function's module (functions/docs/app.py)."""
    return build_openapi.load_function("docs")


def not_found(path: str, request_id: str, detail: str = "No resource with this id.") -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": detail,
        "instance": path,
        "code": "not_found",
        "request_id": request_id,
    }


def test_openapi_json_is_the_committed_file(gateway: Any) -> None:
    response = gateway.request("GET", "/v1/openapi.json")

    assert response.status == 200
    assert response.body == OPENAPI_FILE.read_bytes()
    etag = '"' + hashlib.sha256(OPENAPI_FILE.read_bytes()).hexdigest()[:32] + '"'
    assert {name: response.header(name) for name in ("Content-Type", "Cache-Control", "ETag")} == {
        "Content-Type": "application/json",
        "Cache-Control": PUBLIC_CACHE,
        "ETag": etag,
    }


@pytest.mark.parametrize("path", ["/v1/openapi.json", "/v1/docs", "/v1/docs/swagger-ui-bundle.js"])
def test_if_none_match_answers_304(gateway: Any, path: str) -> None:
    etag = gateway.request("GET", path).header("ETag")
    assert etag is not None and re.match(r'^"[0-9a-f]{32}"$', etag)

    for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = gateway.request("GET", path, headers={"If-None-Match": held})
        assert (again.status, again.body, again.header("ETag"), again.header("Cache-Control")) == (
            304,
            b"",
            etag,
            PUBLIC_CACHE,
        ), held
    stale = gateway.request("GET", path, headers={"If-None-Match": '"0123"'})
    assert stale.status == 200


def test_docs_page_loads_only_our_assets(gateway: Any, docs: Any) -> None:
    response = gateway.request("GET", "/v1/docs")

    assert response.status == 200
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert response.header("Cache-Control") == PUBLIC_CACHE
    assert response.header("Content-Security-Policy") == (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    html = response.body.decode()
    assert html == docs.DOCS_PAGE.format(prefix="")
    # Every URL on the page is one of ours, and answers.
    urls = re.findall(r'(?:src|href|data-spec-url)="([^"]*)"', html)
    assert sorted(set(urls)) == [
        "/v1/docs/docs-init.js",
        "/v1/docs/swagger-ui-bundle.js",
        "/v1/docs/swagger-ui.css",
        "/v1/openapi.json",
        "data:,",
    ]
    for url in urls:
        if url.startswith("/"):
            assert gateway.request("GET", url).status == 200, url
    assert "http://" not in html and "https://" not in html


def test_docs_page_under_a_stage_or_base_path(docs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from agenda_core.settings import get_settings

    event = {
        "path": "/v1/docs",
        "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {"stage": "prod", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com"},
    }
    try:
        monkeypatch.setenv("PUBLIC_BASE_URL", "")
        get_settings.cache_clear()
        assert docs.path_prefix(event) == "/prod"
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://api.example.com/agenda/")
        get_settings.cache_clear()
        assert docs.path_prefix(event) == "/agenda"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    page = docs.docs_page("/prod").body
    assert 'data-spec-url="/prod/v1/openapi.json" data-api-base="/prod"' in page
    assert '<script src="/prod/v1/docs/swagger-ui-bundle.js"' in page
    # A prefix is markup-escaped, whatever the Host header said.
    assert 'data-api-base="/&quot;&gt;&lt;script&gt;"' in docs.docs_page('/"><script>').body


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("docs-init.js", "text/javascript; charset=utf-8"),
        ("swagger-ui-bundle.js.LICENSE.txt", "text/plain; charset=utf-8"),
    ],
)
def test_assets_are_served_as_files(gateway: Any, asset: str, content_type: str) -> None:
    response = gateway.request("GET", f"/v1/docs/{asset}")

    assert response.status == 200
    assert response.body == (STATIC_DIR / asset).read_bytes()
    assert (response.header("Content-Type"), response.header("Cache-Control")) == (content_type, PUBLIC_CACHE)
    assert response.header("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/docs/README.md",
        "/v1/docs/swagger-ui-dist.LICENSE",
        "/v1/docs/openapi.json",
        "/v1/docs/app.py",
        "/v1/docs/swagger-ui.css.map",
        "/v1/docs/.",
    ],
)
def test_anything_else_is_404_problem(gateway: Any, path: str) -> None:
    response = gateway.request("GET", path)

    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"
    body = response.json()
    assert REQUEST_ID.match(body["request_id"])
    assert body == not_found(path, body["request_id"])


@pytest.mark.parametrize(
    "path",
    [
        "/v1/docs/static/swagger-ui.css",
        "/v1/docs/../docs/app.py",
        "/v1/docs/..%2Fapp.py",
        "/v1/docs/%2e%2e%2fopenapi.json",
        "/v1/docs/static%2Fswagger-ui.css",
    ],
)
def test_paths_that_leave_the_asset_segment_are_404(gateway: Any, path: str) -> None:
    response = gateway.request("GET", path)

    # API Gateway's own 404 or the function's: a problem either way, never a file.
    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("asset", ["../app.py", "../openapi.json", "static/swagger-ui.css", "/etc/passwd"])
def test_decoded_traversal_reaching_the_function_is_404(docs: Any, asset: str) -> None:
    # As API Gateway would hand over a decoded %2F: the handler itself must refuse it.
    path = f"/v1/docs/{asset}"
    event = {
        "resource": "/v1/docs/{asset}",
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "localhost"},
        "pathParameters": {"asset": asset},
        "queryStringParameters": None,
        "requestContext": {"requestId": "traversal", "stage": "local", "domainName": "localhost"},
        "body": None,
        "isBase64Encoded": False,
    }
    spec = functions(TEMPLATE)["DocsFunction"]
    result = docs.lambda_handler(event, new_context(spec, REGION))

    assert (result["statusCode"], result["headers"]["Content-Type"]) == (404, "application/problem+json")
    assert json.loads(result["body"])["code"] == "not_found"


def test_other_methods_are_405(gateway: Any) -> None:
    response = gateway.request("POST", "/v1/docs", json_body={})

    assert (response.status, response.header("Allow")) == (405, "GET")
    assert response.json()["code"] == "method_not_allowed"


def test_assets_table_matches_the_directory(docs: Any) -> None:
    served = set(docs.ASSETS)
    documentation = {"README.md", "swagger-ui-dist.LICENSE", "swagger-ui-dist.NOTICE"}
    assert {path.name for path in STATIC_DIR.iterdir()} == served | documentation
    assert set(docs.ASSETS.values()) <= {
        "text/javascript; charset=utf-8",
        "text/css; charset=utf-8",
        "text/plain; charset=utf-8",
    }


def test_vendored_files_are_the_pinned_release() -> None:
    readme = (STATIC_DIR / "README.md").read_text(encoding="utf-8")
    assert "swagger-ui-dist 5.35.0" in readme
    rows = dict(re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, flags=re.M))
    assert set(rows) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui-dist.LICENSE",
        "swagger-ui-dist.NOTICE",
    }
    assert {name: hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() for name in rows} == rows


def test_docs_function_imports_no_aws_sdk() -> None:
    # Cold start (STYLE.md 5.12): the docs function touches no AWS service, so it must not pay
    # for boto3 or pynamodb at import. Its own process, so nothing else has imported them.
    code = (
        "import sys, json; sys.path[:0] = ['layers/agenda_core', 'functions/docs']; import app; "
        "print(json.dumps(sorted(m for m in ('boto3', 'pynamodb', 'jwt', 'argon2') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_docs_function_imports_no_other_function() -> None:
    source = (DOCS_DIR / "app.py").read_text(encoding="utf-8")
    imports = re.findall(r"^(?:from|import) ([\w.]+)", source, flags=re.M)
    assert [name for name in imports if name.split(".")[0] in {"functions", "app", "local", "scripts"}] == []
