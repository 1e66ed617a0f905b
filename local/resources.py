"""Create the template's AWS resources (tables, buckets, queues, secrets) in the local emulation,
as CloudFormation would: what `make dev`, the tests and the bench run against. What to create is
read by local/template.py.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import secrets
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from local.intrinsics import Resolver
from local.template import (
    Template,
    _as_template,
    _bucket_name,
    _enabled,
    _env_string,
    _queue_name,
    _resources,
    default_refs,
    table_specs,
)

__all__ = ["create_resources", "generate_secret_value"]

log = logging.getLogger("local")

# -- secrets ---------------------------------------------------------------------------------------

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def generate_secret_value(spec: Mapping[str, Any]) -> str:
    """A value for `GenerateSecretString`, as Secrets Manager would make it (with `secrets`)."""
    exclude = set(str(spec.get("ExcludeCharacters", "")))
    groups = []
    flags = (
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeNumbers", string.digits),
        ("ExcludePunctuation", _PUNCTUATION),
    )
    for flag, characters in flags:
        if spec.get(flag) not in (True, "true"):
            groups.append("".join(c for c in characters if c not in exclude))
    if spec.get("IncludeSpace") in (True, "true"):
        groups.append(" ")
    groups = [group for group in groups if group]
    if not groups:
        raise ValueError("GenerateSecretString excludes every character")
    length = int(spec.get("PasswordLength", 32))
    alphabet = "".join(groups)
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        # RequireEachIncludedType defaults to true, as in Secrets Manager.
        if spec.get("RequireEachIncludedType") in (False, "false") or length < len(groups):
            break
        if all(any(c in group for c in value) for group in groups):
            break
    template_text = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if template_text is not None and key:
        document = json.loads(template_text)
        document[key] = value
        return json.dumps(document)
    return value


# -- creating the resources ------------------------------------------------------------------------


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


@functools.lru_cache(maxsize=32)
def _client(session: Any, service: str, endpoint_url: str | None) -> Any:
    """One client per session, service and endpoint: making one costs ~7 ms (the tests make the
    resources again for every test, with the one session they keep)."""
    return session.client(service, endpoint_url=endpoint_url)


def _create_tables(
    session: Any, template: Template, endpoint_url: str | None, refs: dict[str, str], parameters: Any
) -> None:
    dynamodb = _client(session, "dynamodb", endpoint_url)
    for spec in table_specs(template, parameters):
        # Already there (a persistent emulator): keep it and its data.
        with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
            dynamodb.create_table(**spec.create_kwargs)
        if spec.ttl_attribute:
            try:
                dynamodb.update_time_to_live(
                    TableName=spec.logical_id,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                )
            except dynamodb.exceptions.ClientError as error:
                if "already enabled" not in str(error).lower():
                    raise
        refs[spec.logical_id] = spec.logical_id


def _create_buckets(
    session: Any, template: Template, endpoint_url: str | None, refs: dict[str, str], parameters: Any
) -> None:
    s3 = _client(session, "s3", endpoint_url)
    enabled = _enabled(template, parameters)
    for logical_id in _resources(template, "AWS::S3::Bucket"):
        if not enabled(logical_id):
            continue
        name = _bucket_name(logical_id)
        kwargs: dict[str, Any] = {"Bucket": name}
        if session.region_name != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": session.region_name}
        try:
            s3.create_bucket(**kwargs)
        except s3.exceptions.ClientError as error:
            if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        refs[logical_id] = name


_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


def _create_queues(
    session: Any, template: Template, endpoint_url: str | None, refs: dict[str, str], parameters: Any
) -> None:
    sqs = _client(session, "sqs", endpoint_url)
    enabled = _enabled(template, parameters)
    queues = [logical_id for logical_id in _resources(template, "AWS::SQS::Queue") if enabled(logical_id)]
    # Dead-letter queues first: a redrive policy needs its target's ARN.
    queues.sort(key=lambda q: "RedrivePolicy" in (template["Resources"][q].get("Properties") or {}))
    for logical_id in queues:
        props = Resolver(template, refs, parameters, session.region_name).resolve(
            template["Resources"][logical_id].get("Properties") or {}
        )
        attributes = {}
        for name in _QUEUE_ATTRIBUTES:
            if name in props:
                value = props[name]
                attributes[name] = json.dumps(value) if isinstance(value, dict) else _env_string(value)
        name = _queue_name(logical_id, props)
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.ClientError as error:
            if "QueueAlreadyExists" not in _error_code(error) and "QueueNameExists" not in _error_code(error):
                raise
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        refs[logical_id] = url


def _create_secrets(
    session: Any, template: Template, endpoint_url: str | None, refs: dict[str, str], parameters: Any
) -> None:
    client = _client(session, "secretsmanager", endpoint_url)
    resolver = Resolver(template, refs, parameters, session.region_name)
    for logical_id, resource in _resources(template, "AWS::SecretsManager::Secret").items():
        if not resolver.enabled(logical_id):
            continue
        props = resolver.resolve(resource.get("Properties") or {})
        if "SecretString" in props:
            value = str(props["SecretString"])
        else:
            value = generate_secret_value(props.get("GenerateSecretString") or {})
        try:
            arn = client.create_secret(Name=logical_id, SecretString=value)["ARN"]
        except client.exceptions.ResourceExistsException:
            # Keep the existing value: tokens signed with it stay valid across restarts.
            arn = client.describe_secret(SecretId=logical_id)["ARN"]
        refs[logical_id] = arn


def create_resources(
    template: Template | str | Path,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    parameters: Mapping[str, Any] | None = None,
    *,
    dynamodb_endpoint_url: str | None = None,
    session: Any = None,
) -> dict[str, str]:
    """Create the template's tables (with TTL), buckets, queues and secrets; return logical id -> Ref.

    `endpoint_url=None` uses boto3's default endpoints (inside `mock_aws`, moto answers them).
    `dynamodb_endpoint_url` puts the tables there instead (e.g. DynamoDB Local), the rest stays
    at `endpoint_url`. Idempotent: resources that already exist are kept. With an `endpoint_url`,
    a service other than DynamoDB that fails is skipped with a printed note. `session` is the
    boto3 Session to use (default: a new one; a caller that creates resources again and again,
    like the tests, passes one, since each new session parses botocore's data again).
    """
    import boto3  # imported here: importing this module must stay cheap and side-effect free

    template = _as_template(template)
    session = session or boto3.session.Session(region_name=region)
    refs = default_refs(template, region)
    _create_tables(session, template, dynamodb_endpoint_url or endpoint_url, refs, parameters)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("S3", lambda: _create_buckets(session, template, endpoint_url, refs, parameters)),
        ("SQS", lambda: _create_queues(session, template, endpoint_url, refs, parameters)),
        ("Secrets Manager", lambda: _create_secrets(session, template, endpoint_url, refs, parameters)),
    ]
    for service, step in steps:
        try:
            step()
        except Exception as error:  # any failure of an optional service is reported, not fatal
            if endpoint_url is None:
                raise
            print(
                f"note: {service} is not available at {endpoint_url} ({type(error).__name__}): its resources"
                " were not created, and code that uses them will fail (the embedded moto has them all)"
            )
    return refs
