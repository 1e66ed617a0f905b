"""Evaluate CloudFormation intrinsic functions against local stand-ins for AWS resources.

Enough of CloudFormation for a dev server: parameters (defaults, overridable), pseudo
parameters, conditions, Ref, GetAtt for the resource types the template creates locally, Sub,
If, Join, Select, Split, FindInMap, Base64, GetAZs and ToJsonString. Anything else raises
`Unresolvable`, so callers decide whether a missing value matters.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account: ARNs built here match the ones moto returns
STACK_NAME = "agenda-api-local"


class Unresolvable(ValueError):
    """An intrinsic this local emulation cannot give a value for."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parameter name -> value: the override if given, else the template's Default."""
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if overrides and name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            continue
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = [part.strip() for part in value.split(",")] if value else []
        values[name] = value
    for name, value in (overrides or {}).items():
        values.setdefault(name, value)
    return values


class Resolver:
    """Resolves intrinsics in template fragments; `refs` maps logical ids to physical names."""

    def __init__(
        self,
        template: Mapping[str, Any],
        refs: Mapping[str, str],
        parameters: Mapping[str, Any] | None = None,
        region: str = "us-east-1",
    ) -> None:
        self.template = template
        self.refs = refs
        self.parameters = parameter_values(template, parameters)
        self.region = region
        self._conditions: dict[str, bool] = {}

    # -- entry points ------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated; AWS::NoValue entries are dropped."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, arg)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """The truth value of a named condition of the template."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise Unresolvable(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(conditions[name]))
        return self._conditions[name]

    def enabled(self, logical_id: str) -> bool:
        """Whether a resource exists, given its `Condition`."""
        condition = self.template["Resources"][logical_id].get("Condition")
        return condition is None or self.condition(condition)

    # -- intrinsics --------------------------------------------------------------------------

    def _intrinsic(self, key: str, arg: Any) -> Any:
        match key:
            case "Ref":
                return self.ref(arg)
            case "Fn::GetAtt":
                logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(self.resolve(logical_id), self.resolve(attribute))
            case "Fn::Sub":
                return self._sub(arg)
            case "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            case "Fn::Equals":
                left, right = (self.resolve(item) for item in arg)
                return str(left) == str(right)
            case "Fn::Not":
                return not self._truth(arg[0])
            case "Fn::And":
                return all(self._truth(item) for item in arg)
            case "Fn::Or":
                return any(self._truth(item) for item in arg)
            case "Fn::Join":
                delimiter, items = arg
                return str(delimiter).join(str(item) for item in self.resolve(items))
            case "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            case "Fn::Split":
                delimiter, text = arg
                return str(self.resolve(text)).split(delimiter)
            case "Fn::FindInMap":
                name, top, second = (self.resolve(item) for item in arg[:3])
                try:
                    return self.template["Mappings"][name][top][second]
                except KeyError:
                    raise Unresolvable(f"FindInMap {name}/{top}/{second}") from None
            case "Fn::Base64":
                return base64.b64encode(str(self.resolve(arg)).encode()).decode()
            case "Fn::GetAZs":
                return [f"{self.region}{zone}" for zone in "abc"]
            case "Fn::ToJsonString":
                return json.dumps(self.resolve(arg), separators=(",", ":"))
            case "Fn::Length":
                return len(self.resolve(arg))
        raise Unresolvable(f"{key} is not emulated locally")

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.condition(value["Condition"])
        return bool(self.resolve(value))

    def ref(self, name: str) -> Any:
        """What `Ref` gives: a parameter's value, a pseudo parameter, or a resource's physical id."""
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        if name in (self.template.get("Resources") or {}):
            return name  # a resource with no local counterpart: its logical id stands in
        raise Unresolvable(f"Ref {name!r}: no such parameter or resource (or parameter without Default)")

    def get_att(self, logical_id: str, attribute: str) -> str:
        """`Fn::GetAtt` for the resource types created locally (ARNs in moto's format)."""
        resource = (self.template.get("Resources") or {}).get(logical_id)
        if resource is None:
            raise Unresolvable(f"GetAtt {logical_id}.{attribute}: no such resource")
        physical = str(self.ref(logical_id))
        region, account = self.region, ACCOUNT_ID
        match resource.get("Type"), attribute:
            case "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable", "Arn":
                return f"arn:aws:dynamodb:{region}:{account}:table/{physical}"
            case "AWS::DynamoDB::Table", "StreamArn":
                return f"arn:aws:dynamodb:{region}:{account}:table/{physical}/stream/local"
            case "AWS::S3::Bucket", "Arn":
                return f"arn:aws:s3:::{physical}"
            case "AWS::S3::Bucket", "DomainName":
                return f"{physical}.s3.amazonaws.com"
            case "AWS::S3::Bucket", "RegionalDomainName":
                return f"{physical}.s3.{region}.amazonaws.com"
            case "AWS::SQS::Queue", "Arn":
                return f"arn:aws:sqs:{region}:{account}:{physical.rsplit('/', 1)[-1]}"
            case "AWS::SQS::Queue", "QueueName":
                return physical.rsplit("/", 1)[-1]
            case "AWS::SQS::Queue", "QueueUrl":
                return physical
            case "AWS::Serverless::Function" | "AWS::Lambda::Function", "Arn":
                return f"arn:aws:lambda:{region}:{account}:function:{physical}"
            case "AWS::SecretsManager::Secret", "Id":
                return physical
        raise Unresolvable(f"GetAtt {logical_id}.{attribute} is not emulated locally")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is CloudFormation's escape for a literal ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            value = self.ref(name)
            return ",".join(value) if isinstance(value, list) else str(value)

        return _SUB_VARIABLE.sub(replace, text)
