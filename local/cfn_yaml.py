"""A YAML loader for CloudFormation/SAM templates: short tags become their long-form dicts."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import yaml

# Short tag -> long-form key. !GetAtt and !Ref/!Condition are special-cased below.
_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "FindInMap": "Fn::FindInMap",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
    "GetAZs": "Fn::GetAZs",
    "Cidr": "Fn::Cidr",
    "Transform": "Fn::Transform",
    "ToJsonString": "Fn::ToJsonString",
    "Length": "Fn::Length",
}


class CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """SafeLoader that keeps CloudFormation semantics: short tags, and dates stay strings."""


# CloudFormation reads `AWSTemplateFormatVersion: 2010-09-09` or a date Default as a string,
# while YAML 1.1 would turn it into a datetime.date.
CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _TAGS.get(tag_suffix, f"Fn::{tag_suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            # `!GetAtt Resource.Attr.Sub` -> ["Resource", "Attr.Sub"], as CloudFormation splits it.
            value = str(value).split(".", 1)
        elif key == "Fn::GetAZs" and value is None:
            value = ""
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _construct)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON) into plain dicts and lists.

    Each call returns a template of its own (callers may change theirs). The parse is remembered
    per file version: the tests make a world, and so read the template, twice per test (~25 ms a
    parse, ~1 ms a copy), and a changed file is parsed again."""
    stat = os.stat(path)
    version = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
    if _parsed.get(version) is None:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a CloudFormation template (top level is not a mapping)")
        if len(_parsed) >= 8:  # templates of tests' own, or old versions of one
            _parsed.clear()
        _parsed[version] = pickle.dumps(data)
    loaded: dict[str, Any] = pickle.loads(_parsed[version])  # noqa: S301 - our own bytes
    return loaded


# File version -> its pickled parse (plain data: a fresh copy is one pickle load).
_parsed: dict[tuple[str, int, int], bytes] = {}
