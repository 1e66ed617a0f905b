"""The Docker-free dev server (local/): template reading, resource creation, the API Gateway mirror.

The gateway is tested against a tiny template and handlers written to tmp_path, so these tests
do not depend on the real functions; the template-reading tests also check the real template.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from werkzeug.test import Client

from local import server
from local.buckets import bucket_subscriptions
from local.cfn_yaml import load_template
from local.gateway import GatewayApp, local_aws_environment
from local.resources import create_resources, generate_secret_value
from local.routing import RouteTable
from local.streams import stream_subscriptions
from local.template import (
    Route,
    TableSpec,
    api_routes,
    function_environment,
    table_specs,
)
from tests.dev_server import REQUEST_SECONDS, STOP_SECONDS, Lines, dev_server, start_process

REPO = Path(__file__).resolve().parents[2]

TINY_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName: {Type: String, Default: test}
  Origins: {Type: String, Default: ''}
Conditions:
  IsProd: !Equals [!Ref StageName, prod]
Globals:
  Function:
    Handler: app.lambda_handler
    Timeout: 5
    MemorySize: 256
    Layers: [!Ref TinyLayer]
    Environment:
      Variables:
        TABLE_NAME: !Ref ItemsTable
        SECRET_ARN: !Ref SigningSecret
        ORIGINS: !Ref Origins
        MODE: !If [IsProd, production, development]
        LABEL: !Sub "${AWS::Region}-${StageName}"
        FLAG: false
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref StageName
  TinyLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
  ItemsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: gsi1pk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
      GlobalSecondaryIndexes:
        - IndexName: gsi1
          KeySchema: [{AttributeName: gsi1pk, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: ttl, Enabled: true}
      StreamSpecification: {StreamViewType: NEW_IMAGE}
      DeletionProtectionEnabled: !If [IsProd, true, false]
  CountersTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: name, Type: String}
  UploadsBucket:
    Type: AWS::S3::Bucket
  DeadLetters:
    Type: AWS::SQS::Queue
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 5
  SigningSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"kid": "k1"}'
        GenerateStringKey: key
        PasswordLength: 40
        ExcludePunctuation: true
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Environment:
        Variables:
          FUNCTION_ONLY: !GetAtt ItemsTable.Arn
      Events:
        GetItem: {Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/items/{item_id}', Method: get}}
        ItemAny: {Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/items/{item_id}', Method: any}}
        Files: {Type: Api, Properties: {RestApiId: !Ref Api, Path: '/v1/files/{proxy+}', Method: get}}
  RespondFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: respond/
      Handler: main.handle
      Events:
        Respond: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /v1/respond, Method: post}}
        Special: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /v1/items/special, Method: get}}
"""

# Echoes what it was called with: the event, the context, some environment, a layer value.
ECHO_HANDLER = """\
import json
import os
import signal

import tiny_layer_for_gateway_tests as layer

CALLS = 0


def lambda_handler(event, context):
    global CALLS
    CALLS += 1
    names = ["TABLE_NAME", "SECRET_ARN", "ORIGINS", "MODE", "LABEL", "FLAG", "FUNCTION_ONLY",
             "PUBLIC_BASE_URL", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"]
    body = {
        "event": event,
        "calls": CALLS,
        "layer": layer.NAME,
        "env": {name: os.environ.get(name) for name in names},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "aws_request_id": context.aws_request_id,
        },
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
"""

# Answers with whatever proxy response the request body describes; {"raise": ...} raises.
RESPOND_HANDLER = """\
import json


def handle(event, context):
    wanted = json.loads(event["body"])
    if isinstance(wanted, dict) and "raise" in wanted:
        raise RuntimeError(wanted["raise"])
    return wanted
"""


@pytest.fixture(autouse=True)
def _isolated_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The gateway sets os.environ and extends sys.path on first use; give both back afterwards.
    monkeypatch.setattr(sys, "path", [*sys.path])
    with mock.patch.dict(os.environ):
        yield


@pytest.fixture
def tiny_template(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TINY_TEMPLATE)
    for directory, name, source in [
        ("echo", "app.py", ECHO_HANDLER),
        ("respond", "main.py", RESPOND_HANDLER),
        ("layer", "tiny_layer_for_gateway_tests.py", 'NAME = "from the layer"\n'),
    ]:
        (tmp_path / directory).mkdir()
        (tmp_path / directory / name).write_text(source)
    return tmp_path / "template.yaml"


@pytest.fixture
def app(tiny_template: Path) -> GatewayApp:
    resources = {"SigningSecret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:SigningSecret-abc"}
    return GatewayApp(
        tiny_template,
        resources=resources,
        base_url="http://127.0.0.1:3000",
        env_overrides={"ORIGINS": "https://app.example"},
    )


# -- the YAML loader -----------------------------------------------------------------------------


def test_short_tags_become_long_form_and_dates_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        textwrap.dedent("""\
        AWSTemplateFormatVersion: 2010-09-09
        Values:
          ref: !Ref Thing
          att: !GetAtt Thing.Arn
          att_list: !GetAtt [Thing, Arn]
          sub: !Sub "${AWS::Region}-x"
          sub_vars: !Sub ["${A}", {A: !Ref B}]
          if: !If [Cond, 1, 2]
          eq: !Equals [a, b]
          not: !Not [!Condition Cond]
          and: !And [!Condition A, !Condition B]
          or: !Or [!Condition A, !Condition B]
          join: !Join [",", [a, b]]
          select: !Select [0, !Split [",", "a,b"]]
          map: !FindInMap [M, k1, k2]
          import: !ImportValue Shared
          b64: !Base64 text
          azs: !GetAZs ""
          cidr: !Cidr [10.0.0.0/16, 2, 8]
        """)
    )
    assert load_template(path) == {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Values": {
            "ref": {"Ref": "Thing"},
            "att": {"Fn::GetAtt": ["Thing", "Arn"]},
            "att_list": {"Fn::GetAtt": ["Thing", "Arn"]},
            "sub": {"Fn::Sub": "${AWS::Region}-x"},
            "sub_vars": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
            "if": {"Fn::If": ["Cond", 1, 2]},
            "eq": {"Fn::Equals": ["a", "b"]},
            "not": {"Fn::Not": [{"Condition": "Cond"}]},
            "and": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
            "or": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
            "join": {"Fn::Join": [",", ["a", "b"]]},
            "select": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
            "map": {"Fn::FindInMap": ["M", "k1", "k2"]},
            "import": {"Fn::ImportValue": "Shared"},
            "b64": {"Fn::Base64": "text"},
            "azs": {"Fn::GetAZs": ""},
            "cidr": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
        },
    }


# -- reading the real template ----------------------------------------------------------------


def test_real_template_routes_every_function_with_the_designed_routes() -> None:
    template = load_template(REPO / "template.yaml")
    functions = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    routes = api_routes(template)

    # Every function serves routes but the stream's (local/streams.py runs them), the queue's
    # (local/queues.py) and the bucket's (local/buckets.py).
    streams = {"SnapshotsFunction", "WebhookEventsFunction", "UploadEventsFunction", "ImportRunsFunction"}
    assert {route.function_id for route in routes} == functions - streams - {"WebhookDeliveryFunction"}
    assert {s.function_id for s in stream_subscriptions(template)} == streams
    assert [s.function_id for s in bucket_subscriptions(template)] == ["UploadEventsFunction"]
    # docs/design.md: the routes, and an ANY on every path.
    designed = {
        ("POST", "/v1/users", "UsersFunction"),
        ("GET", "/v1/users/me", "UsersFunction"),
        ("POST", "/v1/auth/token", "AuthFunction"),
        ("GET", "/v1/agendas", "AgendasFunction"),
        ("POST", "/v1/agendas", "AgendasFunction"),
        ("GET", "/v1/agendas/{agenda_id}", "AgendasFunction"),
        ("PUT", "/v1/agendas/{agenda_id}", "AgendasFunction"),
        ("PATCH", "/v1/agendas/{agenda_id}", "AgendasFunction"),
        ("DELETE", "/v1/agendas/{agenda_id}", "AgendasFunction"),
        ("GET", "/v1/agendas/{agenda_id}/changes", "AgendasFunction"),
        ("GET", "/v1/agendas/{agenda_id}/calendar.ics", "ExportsFunction"),
        ("GET", "/v1/agendas/{agenda_id}/schedule.json", "ExportsFunction"),
        ("GET", "/v1/agendas/{agenda_id}/schedule.xml", "ExportsFunction"),
        ("POST", "/v1/uploads", "UploadsFunction"),
        ("GET", "/v1/uploads/{upload_id}", "UploadsFunction"),
        ("GET", "/v1/media/{upload_id}", "UploadsFunction"),
        ("GET", "/v1/health", "HealthFunction"),
        ("GET", "/v1/openapi.json", "DocsFunction"),
        ("GET", "/v1/docs", "DocsFunction"),
        ("GET", "/v1/docs/{asset}", "DocsFunction"),
    }
    found = {(route.method, route.path, route.function_id) for route in routes}
    assert designed <= found
    assert {path for _, path, _ in found} == {path for method, path, _ in found if method == "ANY"}
    assert all(route.handler == "app.lambda_handler" for route in routes)
    assert all(route.code_uri.startswith("functions/") for route in routes)


def test_real_template_environment_resolves_to_local_names() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:TokenSigningKeySecret-AbCdEf"
    environment = function_environment(
        REPO / "template.yaml", "AgendasFunction", refs={"TokenSigningKeySecret": arn}
    )

    designed = {  # docs/design.md "Environment"
        "TABLE_NAME": "AgendaTable",
        "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
        "SIGNING_KEY_SECRET_ARN": arn,
        "CORS_ALLOW_ORIGINS": "",
        "PUBLIC_BASE_URL": "",
        "ENABLE_XRAY_SDK": "false",
    }
    assert {name: environment.get(name) for name in designed} == designed


def test_real_template_agenda_table_is_the_designed_one() -> None:
    specs = {spec.logical_id: spec for spec in table_specs(REPO / "template.yaml")}

    assert specs["AgendaTable"] == TableSpec(
        logical_id="AgendaTable",
        create_kwargs={
            "TableName": "AgendaTable",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "gsi1pk", "AttributeType": "S"},
                {"AttributeName": "gsi1sk", "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        },
        ttl_attribute="ttl",
    )
    assert specs["IdempotencyTable"].ttl_attribute == "expiration"
    assert specs["IdempotencyTable"].create_kwargs["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}
    ]


# -- reading the tiny template ----------------------------------------------------------------


def test_routes_come_from_api_events_with_globals_applied(tiny_template: Path) -> None:
    assert api_routes(tiny_template) == [
        Route("GET", "/v1/items/{item_id}", "EchoFunction", "echo/", "app.lambda_handler"),
        Route("ANY", "/v1/items/{item_id}", "EchoFunction", "echo/", "app.lambda_handler"),
        Route("GET", "/v1/files/{proxy+}", "EchoFunction", "echo/", "app.lambda_handler"),
        Route("POST", "/v1/respond", "RespondFunction", "respond/", "main.handle"),
        Route("GET", "/v1/items/special", "RespondFunction", "respond/", "main.handle"),
    ]


def test_environment_merges_globals_and_resolves_intrinsics(tiny_template: Path) -> None:
    refs = {"SigningSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:SigningSecret-x"}

    assert function_environment(tiny_template, "EchoFunction", refs=refs, region="eu-west-1") == {
        "TABLE_NAME": "ItemsTable",
        "SECRET_ARN": refs["SigningSecret"],
        "ORIGINS": "",
        "MODE": "development",
        "LABEL": "eu-west-1-test",
        "FLAG": "false",
        "FUNCTION_ONLY": "arn:aws:dynamodb:eu-west-1:123456789012:table/ItemsTable",
    }
    # Parameters can be overridden; conditions follow them.
    overridden = function_environment(
        tiny_template, "RespondFunction", parameters={"StageName": "prod", "Origins": "https://a.example"}
    )
    assert overridden == {
        "TABLE_NAME": "ItemsTable",
        "SECRET_ARN": "SigningSecret",
        "ORIGINS": "https://a.example",
        "MODE": "production",
        "LABEL": "us-east-1-prod",
        "FLAG": "false",
    }


def test_table_specs_are_create_table_kwargs(tiny_template: Path) -> None:
    assert table_specs(tiny_template) == [
        TableSpec(
            logical_id="ItemsTable",
            create_kwargs={
                "TableName": "ItemsTable",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "gsi1pk", "AttributeType": "S"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "gsi1",
                        "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            },
            ttl_attribute="ttl",
        ),
        TableSpec(
            logical_id="CountersTable",
            create_kwargs={
                "TableName": "CountersTable",
                "KeySchema": [{"AttributeName": "name", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "name", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        ),
    ]


def test_generated_secret_honours_the_template() -> None:
    spec = {
        "SecretStringTemplate": '{"kid": "k1"}',
        "GenerateStringKey": "key",
        "PasswordLength": 48,
        "ExcludePunctuation": True,
    }
    first, second = json.loads(generate_secret_value(spec)), json.loads(generate_secret_value(spec))

    assert set(first) == {"kid", "key"}
    assert first["kid"] == "k1"
    assert len(first["key"]) == 48
    assert first["key"].isalnum()
    assert first["key"] != second["key"]
    assert len(generate_secret_value({})) == 32  # Secrets Manager's default length


# -- creating resources ------------------------------------------------------------------------


def test_create_resources_creates_everything_and_is_idempotent(tiny_template: Path) -> None:
    with mock_aws():
        refs = create_resources(tiny_template)
        again = create_resources(tiny_template)

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = dynamodb.describe_table(TableName="ItemsTable")["Table"]
        ttl = dynamodb.describe_time_to_live(TableName="ItemsTable")["TimeToLiveDescription"]
        secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
            SecretId=refs["SigningSecret"]
        )
        sqs = boto3.client("sqs", region_name="us-east-1")
        redrive = sqs.get_queue_attributes(QueueUrl=refs["Jobs"], AttributeNames=["All"])["Attributes"]
        buckets = [b["Name"] for b in boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"]]

    assert again == refs
    assert {name: refs[name] for name in ("ItemsTable", "CountersTable", "UploadsBucket")} == {
        "ItemsTable": "ItemsTable",
        "CountersTable": "CountersTable",
        "UploadsBucket": "uploadsbucket",
    }
    assert refs["SigningSecret"].startswith(
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:SigningSecret-"
    )
    assert refs["Jobs"].endswith("/123456789012/Jobs")
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    assert json.loads(secret["SecretString"])["kid"] == "k1"
    assert json.loads(redrive["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:DeadLetters",
        "maxReceiveCount": 5,
    }
    assert redrive["VisibilityTimeout"] == "60"
    assert buckets == ["uploadsbucket"]


# -- routing ---------------------------------------------------------------------------------------


def test_routing_prefers_specific_resources_then_specific_methods() -> None:
    def route(method: str, path: str) -> Route:
        return Route(method, path, f"{method} {path}", "f/", "app.lambda_handler")

    table = RouteTable(
        [
            route("ANY", "/v1/items/{item_id}"),
            route("GET", "/v1/items/{item_id}"),
            route("GET", "/v1/items/special"),
            route("ANY", "/v1/{proxy+}"),
            route("POST", "/v1/items"),
        ]
    )

    def target(method: str, path: str) -> tuple[str, dict[str, str]] | None:
        match = table.match(method, path)
        return (match.route.function_id, match.path_parameters) if match else None

    assert target("GET", "/v1/items/42") == ("GET /v1/items/{item_id}", {"item_id": "42"})
    assert target("DELETE", "/v1/items/42") == ("ANY /v1/items/{item_id}", {"item_id": "42"})
    assert target("GET", "/v1/items/special") == ("GET /v1/items/special", {})
    assert target("GET", "/v1/a/b/c") == ("ANY /v1/{proxy+}", {"proxy": "a/b/c"})
    assert target("POST", "/v1/items") == ("POST /v1/items", {})
    # The resource is chosen first: /v1/items exists without GET, so no fallback to {proxy+}.
    assert target("GET", "/v1/items") is None
    assert target("GET", "/v1") is None
    assert target("GET", "/v1/items/42/") is None


# -- the gateway -------------------------------------------------------------------------------


def test_event_carries_the_request_like_api_gateway(app: GatewayApp) -> None:
    response = app.request(
        "GET",
        "/v1/items/it%C3%A9m-1?tag=a&tag=b&empty=&q=hello%20world",
        headers=[("X-Custom-Header", "one"), ("x-multi", "1"), ("X-Multi", "2"), ("User-Agent", "tests/1")],
    )

    assert response.status == 200
    event = response.json()["event"]
    context = event["requestContext"]
    assert uuid.UUID(context["requestId"])
    assert abs(context["requestTimeEpoch"] / 1000 - time.time()) < 60
    assert response.header("x-amzn-RequestId") == context["requestId"]
    assert event == {
        "resource": "/v1/items/{item_id}",
        "path": "/v1/items/itém-1",
        "httpMethod": "GET",
        "headers": {
            "Host": "127.0.0.1:3000",
            "X-Custom-Header": "one",
            "x-multi": "2",
            "User-Agent": "tests/1",
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Port": "3000",
            "X-Forwarded-Proto": "http",
        },
        "multiValueHeaders": {
            "Host": ["127.0.0.1:3000"],
            "X-Custom-Header": ["one"],
            "x-multi": ["1", "2"],
            "User-Agent": ["tests/1"],
            "X-Forwarded-For": ["127.0.0.1"],
            "X-Forwarded-Port": ["3000"],
            "X-Forwarded-Proto": ["http"],
        },
        "queryStringParameters": {"tag": "b", "empty": "", "q": "hello world"},
        "multiValueQueryStringParameters": {"tag": ["a", "b"], "empty": [""], "q": ["hello world"]},
        "pathParameters": {"item_id": "itém-1"},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourceId": context["resourceId"],
            "resourcePath": "/v1/items/{item_id}",
            "httpMethod": "GET",
            "path": "/test/v1/items/itém-1",
            "stage": "test",
            "requestId": context["requestId"],
            "extendedRequestId": context["requestId"],
            "requestTime": context["requestTime"],
            "requestTimeEpoch": context["requestTimeEpoch"],
            "protocol": "HTTP/1.1",
            "domainName": "127.0.0.1:3000",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "tests/1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def test_event_from_a_plain_wsgi_client_has_nones_and_a_base64_body(app: GatewayApp) -> None:
    client = Client(app)

    text = client.delete("/v1/items/7", data="plain text", headers={"Content-Type": "text/plain"})
    binary = client.delete("/v1/items/7", data=b"\xff\x00\xfe")
    greedy = client.get("/v1/files/a/b.txt")

    event = json.loads(text.get_data())["event"]
    assert (event["httpMethod"], event["resource"], event["pathParameters"]) == (
        "DELETE",
        "/v1/items/{item_id}",
        {"item_id": "7"},
    )
    assert (event["body"], event["isBase64Encoded"]) == ("plain text", False)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    # WSGI upper-cases header names; they come back in the usual capitalisation.
    assert event["headers"]["Content-Type"] == "text/plain"
    binary_event = json.loads(binary.get_data())["event"]
    assert (binary_event["body"], binary_event["isBase64Encoded"]) == (
        base64.b64encode(b"\xff\x00\xfe").decode(),
        True,
    )
    assert json.loads(greedy.get_data())["event"]["pathParameters"] == {"proxy": "a/b.txt"}


def test_handler_runs_in_process_once_imported_with_environment_and_context(app: GatewayApp) -> None:
    first = app.request("GET", "/v1/items/1").json()
    second = app.request("GET", "/v1/items/1").json()

    assert (first["calls"], second["calls"]) == (1, 2)  # imported once, like a warm container
    assert first["layer"] == "from the layer"
    assert first["env"] == {
        "TABLE_NAME": "ItemsTable",
        "SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:SigningSecret-abc",
        "ORIGINS": "https://app.example",  # env_overrides win
        "MODE": "development",
        "LABEL": "us-east-1-test",
        "FLAG": "false",
        "FUNCTION_ONLY": "arn:aws:dynamodb:us-east-1:123456789012:table/ItemsTable",
        "PUBLIC_BASE_URL": "http://127.0.0.1:3000",
        "AWS_ENDPOINT_URL": None,  # no emulator given: moto's mock_aws answers in-process
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
    }
    context = first["context"]
    assert 0 < context["remaining_ms"] <= 5000
    assert uuid.UUID(context["aws_request_id"])
    assert {k: v for k, v in context.items() if k not in ("remaining_ms", "aws_request_id")} == {
        "function_name": "EchoFunction",
        "memory_limit_in_mb": 256,
        "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction",
    }


def test_constructing_the_app_touches_nothing(tiny_template: Path) -> None:
    before = dict(os.environ)

    GatewayApp(tiny_template, aws_endpoint="http://127.0.0.1:1")

    assert dict(os.environ) == before


def test_unknown_path_or_method_is_the_404_problem(app: GatewayApp) -> None:
    for method, path in [("GET", "/v1/nothing-here"), ("GET", "/"), ("DELETE", "/v1/respond")]:
        response = app.request(method, path)

        assert response.status == 404
        assert response.header("Content-Type") == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "code": "not_found",
            "detail": "No route for this path.",
            "request_id": response.header("x-amzn-RequestId"),
        }


def test_the_templates_gateway_responses_are_rendered(tiny_template: Path) -> None:
    template = tiny_template.read_text().replace(
        "      StageName: !Ref StageName\n",
        textwrap.indent(
            textwrap.dedent("""\
            StageName: !Ref StageName
            GatewayResponses:
              MISSING_AUTHENTICATION_TOKEN:
                StatusCode: '404'
                ResponseParameters:
                  Headers:
                    Content-Type: "'application/problem+json'"
                    X-Request-Id: context.requestId
                ResponseTemplates:
                  application/json: '{"code":"not_found","request_id":"$context.requestId"}'
              DEFAULT_4XX:
                ResponseTemplates:
                  application/json: '{"m":$context.error.messageString,"t":"$context.error.responseType"}'
            """),
            "      ",
        ),
    )
    tiny_template.write_text(template)
    app = GatewayApp(tiny_template)

    missing = app.request("GET", "/v1/nothing-here")
    too_large = app.handle(
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/respond", "CONTENT_LENGTH": str(10 * 1024 * 1024 + 1)}
    )

    request_id = missing.header("x-amzn-RequestId")
    assert (missing.status, missing.json()) == (404, {"code": "not_found", "request_id": request_id})
    assert missing.header("X-Request-Id") == request_id
    assert missing.header("Content-Type") == "application/problem+json"
    status, headers, body = too_large
    assert (status, json.loads(body)) == (413, {"m": "Request Too Long", "t": "REQUEST_TOO_LARGE"})
    assert dict(headers)["Content-Type"] == "application/json"


def test_payload_over_10_mb_is_refused_before_reading_it(app: GatewayApp) -> None:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/respond",
        "CONTENT_LENGTH": str(10 * 1024 * 1024 + 1),
    }

    status, _, body = app.handle(environ)  # no wsgi.input: reading would fail

    assert (status, json.loads(body)) == (413, {"message": "Request Too Long"})


def test_proxy_response_is_served_as_given(app: GatewayApp) -> None:
    wanted = {
        "statusCode": 201,
        "headers": {"Location": "http://127.0.0.1:3000/v1/items/9", "X-One": "single"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-One": ["multi"]},
        "body": base64.b64encode(b"\x89PNG\x00").decode(),
        "isBase64Encoded": True,
    }

    response = Client(app).post("/v1/respond", json=wanted)

    assert response.status_code == 201
    assert response.get_data() == b"\x89PNG\x00"
    assert [(k, v) for k, v in response.headers.items() if k != "x-amzn-RequestId"] == [
        ("Location", "http://127.0.0.1:3000/v1/items/9"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("X-One", "multi"),  # a name in both maps: multiValueHeaders wins
        ("Content-Type", "application/json"),  # API Gateway's default
        ("Content-Length", "5"),
    ]


def test_text_body_and_own_content_type_pass_through(app: GatewayApp) -> None:
    wanted = {"statusCode": 204, "headers": {"Content-Type": "text/plain; charset=utf-8"}, "body": "é"}

    response = app.request("POST", "/v1/respond", json_body=wanted)

    assert (response.status, response.body) == (204, "é".encode())
    assert response.header("Content-Type") == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "wanted",
    [
        {"raise": "boom"},
        "not a proxy response",
        {"statusCode": "200"},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}},
    ],
)
def test_handler_failure_is_a_502_with_the_traceback_on_stderr(
    app: GatewayApp, wanted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    response = app.request("POST", "/v1/respond", json_body=wanted)

    assert (response.status, response.json()) == (502, {"message": "Internal server error"})
    assert "Traceback" in capsys.readouterr().err


def test_aws_endpoint_moves_dynamodb_alone_and_aws_endpoint_all_everything(
    tiny_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the process inherited, exactly: earlier gateways in this process may have left their
    # functions' per-service endpoints (the template declares AWS_ENDPOINT_URL_SECRETS_MANAGER).
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://inherited.example")  # never kept
    moto = "http://127.0.0.1:5555"  # the embedded moto, when one is started

    def endpoints(*argv: str) -> dict[str, str | None]:
        args = server._parse(argv)
        endpoint, dynamodb = server.aws_endpoints(args, None if args.aws_endpoint_all else moto)
        environment = local_aws_environment(endpoint, "us-east-1", dynamodb_endpoint=dynamodb)
        app_environment = GatewayApp(
            tiny_template, aws_endpoint=endpoint, dynamodb_endpoint=dynamodb
        ).environment()
        assert {k: v for k, v in app_environment.items() if k in environment} == environment
        return {name: value for name, value in environment.items() if name.startswith("AWS_ENDPOINT_URL")}

    assert endpoints() == {"AWS_ENDPOINT_URL": moto, "AWS_ENDPOINT_URL_S3": None}
    # DynamoDB Local: DynamoDB (and its streams) there, Secrets Manager, S3, SQS on moto.
    assert endpoints("--aws-endpoint", "http://localhost:8000/") == {
        "AWS_ENDPOINT_URL": moto,
        "AWS_ENDPOINT_URL_S3": None,
        "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://localhost:8000",
    }
    # LocalStack: everything there, no moto.
    assert endpoints("--aws-endpoint-all", "http://localhost:4566/") == {
        "AWS_ENDPOINT_URL": "http://localhost:4566",
        "AWS_ENDPOINT_URL_S3": None,
    }
    assert endpoints(
        "--aws-endpoint-all", "http://localhost:4566", "--aws-endpoint", "http://localhost:8000"
    ) == {
        "AWS_ENDPOINT_URL": "http://localhost:4566",
        "AWS_ENDPOINT_URL_S3": None,
        "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": "http://localhost:8000",
    }


# -- the server process --------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize(
    "inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"]
)
def test_server_starts_answers_and_stops_cleanly_on_ctrl_c_or_sigterm(
    signum: signal.Signals, inherited: signal.Handlers
) -> None:
    # SIG_IGN is what a shell's background job (`make dev &`, `setsid ... &`) passes on.
    with dev_server(sigint=inherited) as dev:
        with urllib.request.urlopen(f"{dev.url}/v1/health", timeout=REQUEST_SECONDS) as answer:
            status = answer.status
        code, output = dev.stop(signum)

    assert status == 200, output
    assert code == 0, output
    assert f"{dev.url}/v1/docs" in output
    assert "stopping" in output
    assert "Traceback" not in output


# Stands in for DynamoDB Local: moto's server, answering DynamoDB (and its streams) and nothing else.
FAKE_DYNAMODB_LOCAL = """\
import json
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

moto = DomainDispatcherApplication(create_backend_app)


def app(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_20120810.", "DynamoDBStreams_20120810.")):
        return moto(environ, start_response)
    body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#UnknownOperationException"}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
    return [body]


server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _call(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_aws_endpoint_keeps_the_tables_there_and_the_secret_on_the_embedded_moto() -> None:
    fake = start_process([sys.executable, "-c", FAKE_DYNAMODB_LOCAL])
    try:
        external = f"http://127.0.0.1:{Lines(fake).wait_for('').strip()}"
        with dev_server("--aws-endpoint", external) as dev:
            embedded = _line(dev.output.text, "  AWS ").split()[3]  # "  AWS  moto at URL (...)"
            api = f"{dev.url}/v1"
            credentials = {"email": "split@example.com", "password": "split-password-123"}

            user = _call(f"{api}/users", {**credentials, "name": "Split"})
            token = _call(f"{api}/auth/token", credentials)  # signed with the secret on moto
            access_token = token[1]["access_token"] if token[0] == 200 else None
            agenda = _call(
                f"{api}/agendas",
                {"name": "Split Conf", "start_at": "2026-12-05", "duration": 1, "timezone": "UTC"},
                access_token,
            )

            assert (user[0], token[0], agenda[0]) == (201, 200, 201), (user, token, agenda, dev.output.text)
            fake_keys = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}
            outside = boto3.client("dynamodb", endpoint_url=external, **fake_keys)
            inside = boto3.client("dynamodb", endpoint_url=embedded, **fake_keys)
            stored = outside.get_item(
                TableName="AgendaTable",
                Key={"pk": {"S": f"AGENDA#{agenda[1]['id']}"}, "sk": {"S": "#AGENDA"}},
            )
            assert stored["Item"]["name"] == {"S": "Split Conf"}
            assert inside.list_tables()["TableNames"] == []
            secrets = boto3.client("secretsmanager", endpoint_url=embedded, **fake_keys).list_secrets()
            assert [secret["Name"] for secret in secrets["SecretList"]] == ["TokenSigningKeySecret"]
    finally:
        fake.kill()
        fake.wait(timeout=STOP_SECONDS)


def _line(text: str, marker: str) -> str:
    return next(line for line in text.splitlines() if marker in line)
