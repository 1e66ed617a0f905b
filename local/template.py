"""Read what the dev server needs out of template.yaml (local/resources.py creates its AWS resources).

No side effects at import: the test suite imports this to build moto tables from the template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.cfn_yaml import load_template
from local.intrinsics import ACCOUNT_ID, Resolver, Unresolvable

__all__ = [
    "FunctionSpec",
    "GatewayResponseSpec",
    "Route",
    "TableSpec",
    "api_routes",
    "default_refs",
    "function_environment",
    "functions",
    "gateway_responses",
    "load_template",
    "stage_name",
    "table_specs",
    "unemulated_events",
]

log = logging.getLogger("local")

Template = Mapping[str, Any]
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
FUNCTION_TYPES = ("AWS::Serverless::Function",)


@dataclass(frozen=True)
class Route:
    """One API event of a function: `method` is upper case (`ANY` for any)."""

    method: str
    path: str
    function_id: str
    code_uri: str
    handler: str


@dataclass(frozen=True)
class FunctionSpec:
    """What the gateway needs to run a function in-process."""

    logical_id: str
    function_name: str
    code_uri: str
    handler: str
    memory_mb: int
    timeout_s: float
    layer_dirs: tuple[str, ...]  # relative to the template, as in the template


@dataclass(frozen=True)
class TableSpec:
    """A table as DynamoDB's CreateTable wants it, plus its TTL attribute (if any)."""

    logical_id: str
    create_kwargs: dict[str, Any]
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class GatewayResponseSpec:
    """A customised API Gateway response (`GatewayResponses` or AWS::ApiGateway::GatewayResponse).

    Header values are API Gateway mapping expressions: `'literal'`, `context.requestId`,
    `method.request.header.Name`...
    """

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)


def _as_template(template: Template | str | Path) -> Template:
    return load_template(template) if isinstance(template, str | Path) else template


def _resources(template: Template, *types: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") in types
    }


def _resolver(
    template: Template,
    refs: Mapping[str, str] | None,
    parameters: Mapping[str, Any] | None,
    region: str,
) -> Resolver:
    return Resolver(
        template, refs if refs is not None else default_refs(template, region), parameters, region
    )


def _enabled(template: Template, parameters: Mapping[str, Any] | None = None) -> Callable[[str], bool]:
    return Resolver(template, {}, parameters).enabled


# -- physical names ------------------------------------------------------------------------------


def _bucket_name(logical_id: str) -> str:
    return logical_id.lower()  # bucket names must be lower case and DNS-safe


def _queue_name(logical_id: str, properties: Mapping[str, Any]) -> str:
    return f"{logical_id}.fifo" if properties.get("FifoQueue") in (True, "true") else logical_id


def default_refs(template: Template | str | Path, region: str = "us-east-1") -> dict[str, str]:
    """Logical id -> what `Ref` gives locally, without creating anything.

    Tables: the logical id; buckets: the lower-cased logical id; queues: moto's queue URL;
    secrets: the name (the real ARN is only known once created, and both work as a SecretId).
    """
    template = _as_template(template)
    refs: dict[str, str] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        if kind == "AWS::S3::Bucket":
            refs[logical_id] = _bucket_name(logical_id)
        elif kind == "AWS::SQS::Queue":
            name = _queue_name(logical_id, resource.get("Properties") or {})
            refs[logical_id] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}"
        else:
            refs[logical_id] = logical_id
    return refs


# -- functions and routes ------------------------------------------------------------------------


def _function_globals(template: Template) -> dict[str, Any]:
    return dict(((template.get("Globals") or {}).get("Function")) or {})


def functions(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> dict[str, FunctionSpec]:
    """Every enabled AWS::Serverless::Function, with Globals applied."""
    template = _as_template(template)
    resolver = Resolver(template, default_refs(template), parameters)
    defaults = _function_globals(template)
    layer_resources = _resources(template, "AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
    specs: dict[str, FunctionSpec] = {}
    for logical_id, resource in _resources(template, *FUNCTION_TYPES).items():
        if not resolver.enabled(logical_id):
            continue
        props = resource.get("Properties") or {}
        # List-valued Globals are additive (STYLE.md 5.10); scalars are overridden.
        layers = list(defaults.get("Layers") or []) + list(props.get("Layers") or [])
        layer_dirs = []
        for layer in layers:
            layer_id = layer.get("Ref") if isinstance(layer, dict) else None
            if layer_id in layer_resources:
                layer_props = layer_resources[layer_id].get("Properties") or {}
                content = layer_props.get("ContentUri", layer_props.get("Content"))
                if isinstance(content, str):
                    layer_dirs.append(content)
        code_uri = props.get("CodeUri", defaults.get("CodeUri"))
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: CodeUri must be a local directory to run it locally")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            function_name=str(resolver.resolve(props.get("FunctionName", logical_id))),
            code_uri=code_uri,
            handler=str(props.get("Handler", defaults.get("Handler", "app.lambda_handler"))),
            memory_mb=int(resolver.resolve(props.get("MemorySize", defaults.get("MemorySize", 128)))),
            timeout_s=float(resolver.resolve(props.get("Timeout", defaults.get("Timeout", 3)))),
            layer_dirs=tuple(dict.fromkeys(layer_dirs)),
        )
    return specs


def api_routes(template: Template | str | Path, parameters: Mapping[str, Any] | None = None) -> list[Route]:
    """Every `Type: Api` event of every function, in template order."""
    template = _as_template(template)
    routes = []
    for logical_id, spec in functions(template, parameters).items():
        events = (template["Resources"][logical_id].get("Properties") or {}).get("Events") or {}
        for event in events.values():
            if event.get("Type") != "Api":
                continue
            props = event.get("Properties") or {}
            routes.append(
                Route(
                    method=str(props["Method"]).upper(),
                    path=str(props["Path"]),
                    function_id=logical_id,
                    code_uri=spec.code_uri,
                    handler=spec.handler,
                )
            )
    return routes


def unemulated_events(template: Template | str | Path) -> list[str]:
    """`Function: EventType` for the function triggers the dev server does not run (queues...)."""
    template = _as_template(template)
    enabled = _enabled(template)
    found = []
    for logical_id, resource in _resources(template, *FUNCTION_TYPES).items():
        if not enabled(logical_id):
            continue
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") not in ("Api", "DynamoDB", "SQS"):  # local/streams.py, local/queues.py
                found.append(f"{logical_id}: {event.get('Type')}")
    return found


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def function_environment(
    template: Template | str | Path,
    function_id: str,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
) -> dict[str, str]:
    """Globals.Function.Environment.Variables merged with the function's own, resolved.

    `refs` maps logical ids to physical names (what `create_resources` returns); without it,
    `default_refs`. A value that cannot be resolved locally becomes "" with a warning.
    """
    template = _as_template(template)
    resolver = _resolver(template, refs, parameters, region)
    props = template["Resources"][function_id].get("Properties") or {}
    variables = {
        **((_function_globals(template).get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    environment = {}
    for name, raw in variables.items():
        try:
            value = resolver.resolve(raw)
        except (Unresolvable, KeyError, IndexError, TypeError, ValueError) as error:
            log.warning("%s: environment variable %s set to '' (%s)", function_id, name, error)
            value = ""
        environment[name] = _env_string(value)
    return environment


def stage_name(template: Template | str | Path, parameters: Mapping[str, Any] | None = None) -> str | None:
    """The StageName of the first AWS::Serverless::Api, resolved, if there is one."""
    template = _as_template(template)
    resolver = Resolver(template, default_refs(template), parameters)
    for resource in _resources(template, "AWS::Serverless::Api").values():
        stage = (resource.get("Properties") or {}).get("StageName")
        if stage is not None:
            try:
                return str(resolver.resolve(stage))
            except Unresolvable:
                return None
    return None


def binary_media_types(template: Template | str | Path) -> tuple[str, ...]:
    """The first AWS::Serverless::Api's BinaryMediaTypes, unescaped (`*~1*` is `*/*`)."""
    template = _as_template(template)
    for resource in _resources(template, "AWS::Serverless::Api").values():
        types = (resource.get("Properties") or {}).get("BinaryMediaTypes") or []
        return tuple(str(t).replace("~1", "/") for t in types)
    return ()


def gateway_responses(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> dict[str, GatewayResponseSpec]:
    """Customised gateway responses by response type (MISSING_AUTHENTICATION_TOKEN, DEFAULT_4XX...)."""
    template = _as_template(template)
    resolver = Resolver(template, default_refs(template), parameters)
    found: dict[str, GatewayResponseSpec] = {}
    for resource in _resources(template, "AWS::Serverless::Api").values():
        for kind, spec in ((resource.get("Properties") or {}).get("GatewayResponses") or {}).items():
            spec = resolver.resolve(spec)
            headers = ((spec.get("ResponseParameters") or {}).get("Headers")) or {}
            found[kind] = GatewayResponseSpec(
                status=int(spec["StatusCode"]) if "StatusCode" in spec else None,
                headers={name: str(value) for name, value in headers.items()},
                templates=dict(spec.get("ResponseTemplates") or {}),
            )
    for resource in _resources(template, "AWS::ApiGateway::GatewayResponse").values():
        spec = resolver.resolve(resource.get("Properties") or {})
        prefix = "gatewayresponse.header."
        found[spec["ResponseType"]] = GatewayResponseSpec(
            status=int(spec["StatusCode"]) if "StatusCode" in spec else None,
            headers={
                key.removeprefix(prefix): str(value)
                for key, value in (spec.get("ResponseParameters") or {}).items()
                if key.startswith(prefix)
            },
            templates=dict(spec.get("ResponseTemplates") or {}),
        )
    return found


# -- tables ----------------------------------------------------------------------------------------

_SIMPLE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


def _index(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {key: spec[key] for key in _INDEX_KEYS if key in spec}


def table_specs(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> list[TableSpec]:
    """CreateTable kwargs for every enabled table; the table name is the logical id."""
    template = _as_template(template)
    resolver = Resolver(template, default_refs(template), parameters)
    specs = []
    for logical_id, resource in _resources(template, *TABLE_TYPES).items():
        if not resolver.enabled(logical_id):
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        kwargs: dict[str, Any] = {"TableName": logical_id}
        ttl = None
        if resource["Type"] == "AWS::Serverless::SimpleTable":
            key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
            kwargs["KeySchema"] = [{"AttributeName": key["Name"], "KeyType": "HASH"}]
            kwargs["AttributeDefinitions"] = [
                {"AttributeName": key["Name"], "AttributeType": _SIMPLE_TYPES[key["Type"]]}
            ]
            billing = "PROVISIONED" if "ProvisionedThroughput" in props else "PAY_PER_REQUEST"
        else:
            kwargs["KeySchema"] = props["KeySchema"]
            kwargs["AttributeDefinitions"] = props["AttributeDefinitions"]
            if props.get("GlobalSecondaryIndexes"):
                kwargs["GlobalSecondaryIndexes"] = [_index(i) for i in props["GlobalSecondaryIndexes"]]
            if props.get("LocalSecondaryIndexes"):
                kwargs["LocalSecondaryIndexes"] = [_index(i) for i in props["LocalSecondaryIndexes"]]
            # CloudFormation's default billing mode is PROVISIONED.
            billing = props.get("BillingMode", "PROVISIONED")
            if (stream := props.get("StreamSpecification")) and stream.get("StreamViewType"):
                kwargs["StreamSpecification"] = {
                    "StreamEnabled": True,
                    "StreamViewType": stream["StreamViewType"],
                }
            ttl_spec = props.get("TimeToLiveSpecification") or {}
            if ttl_spec.get("Enabled") in (True, "true") and ttl_spec.get("AttributeName"):
                ttl = str(ttl_spec["AttributeName"])
        kwargs["BillingMode"] = billing
        if billing == "PROVISIONED":
            throughput = props.get("ProvisionedThroughput") or {
                "ReadCapacityUnits": 5,
                "WriteCapacityUnits": 5,
            }
            kwargs["ProvisionedThroughput"] = {k: int(v) for k, v in throughput.items()}
        specs.append(TableSpec(logical_id=logical_id, create_kwargs=kwargs, ttl_attribute=ttl))
    return specs
