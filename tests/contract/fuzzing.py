"""What the Schemathesis tests share: the schema, its settings, and what the document cannot say.

The committed document (functions/docs/openapi.json) drives the generation; every request goes
through the in-process API Gateway (`GatewayApp`, WSGI, the test module's `gateway` fixture) to
the real handlers over moto, with a valid bearer token. Every built-in check of Schemathesis 4
runs on every response (its default: all enabled). Bounded and repeatable: a fixed seed,
derandomized Hypothesis, no deadline.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck

from tests.contract.conftest import committed_document

MAX_EXAMPLES = 40

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260601,
        "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
        # Schemathesis 4.32's default expected statuses plus 413, nothing else: API.md §1 limits a
        # body to 64 KiB (413) whatever it holds, and a schema-valid body can be that big (10 000
        # characters sent as \uXXXX escapes).
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    "400",
                    "401",
                    "403",
                    "404",
                    "405",
                    "406",
                    "409",
                    "413",
                    "415",
                    "422",
                    "428",
                    "429",
                    "5xx",
                ]
            },
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]
            },
        },
    }
)
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# Values only the API itself can issue, so no generated value is "valid" in the sense that
# matters: a cursor is opaque and tamper-proof (API.md §1: a forged one is a 400), an upload id
# must name a ready upload of the caller (API.md §6: otherwise 422), an If-Match must be an ETag
# of the current version (API.md §1: otherwise 412). Positive cases leave them out (a positive
# case stays positive without an optional parameter); negative cases still send them.
SERVER_ISSUED_HEADERS = ("if-match",)
SERVER_ISSUED_QUERY: dict[str, tuple[str, ...]] = {"GET /v1/agendas": ("cursor",)}
SERVER_ISSUED_BODY: dict[str, tuple[str, ...]] = {
    "POST /v1/agendas": ("icon",),
    "PUT /v1/agendas/{agenda_id}": ("icon",),
    "PATCH /v1/agendas/{agenda_id}": ("icon",),
}
_KEYS = itertools.count()
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")  # API.md §1


def prepare(case: schemathesis.Case) -> None:
    """Adjust a positive case for what the document cannot say (see above)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    label = case.operation.label
    for name in SERVER_ISSUED_QUERY.get(label, ()):
        if case.query:
            case.query.pop(name, None)
    for name in SERVER_ISSUED_BODY.get(label, ()):
        if isinstance(case.body, dict):
            case.body.pop(name, None)
    for name in list(case.headers or {}):
        if name.lower() in SERVER_ISSUED_HEADERS:
            del case.headers[name]
    # An Idempotency-Key replays its first request: reused with another body it is a 422 by
    # contract (API.md §1). Generation repeats keys, so each valid key is made unique (and stays
    # valid); an invalid one is left as generated.
    for name in list(case.headers or {}):
        value = case.headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and _IDEMPOTENCY_KEY.match(value):
            case.headers[name] = f"{value[:240]}-{next(_KEYS)}"


class ApiUnderTest:
    """The WSGI app Schemathesis calls (its probes too): the gateway of this module's fixture."""

    target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.target is not None, "the gateway fixture is not active"
        return self.target(environ, start_response)


API = ApiUnderTest()
schema = schemathesis.openapi.from_dict(committed_document(), config=CONFIG)
schema.app = API


def documented_operations() -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in committed_document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
