"""Rules of the repository that import-linter cannot see (functions are not a package)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version
    return pins


def test_layer_requirements_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = (ROOT / "layers/agenda_core/requirements.txt").read_text().splitlines()

    assert _pins(layer) == _pins(project)
    assert all(version for version in _pins(layer).values()), "every runtime dependency is pinned"


def test_functions_import_neither_storage_nor_each_other():
    forbidden = {"boto3", "botocore", "pynamodb", "functions"}
    for app in sorted(ROOT.glob("functions/*/app.py")):
        tree = ast.parse(app.read_text())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
                if node.module.startswith("agenda_core.db"):
                    imported.add("agenda_core.db")
        assert not imported & (forbidden | {"agenda_core.db"}), f"{app} imports {imported & forbidden}"


def _layer_sources() -> dict[str, str]:
    package = ROOT / "layers/agenda_core/agenda_core"
    return {str(path.relative_to(package)): path.read_text() for path in sorted(package.rglob("*.py"))}


def test_only_the_commit_seam_moves_an_agenda_version_or_writes_the_change_log():
    """db/commits.py: every committed change bumps the version and is recorded in one transaction;
    a second writer of either would let the change feed miss a change."""
    moves = re.compile(r"\bversion\.(set|add)\(|\bChangeRecord\(|\bchanges_pk\(")
    offenders = [name for name, text in _layer_sources().items() if moves.search(text)]
    # keys.py declares the log's key; the feed (services/changes.py) reads the log by that key.
    assert offenders == ["db/commits.py", "db/keys.py", "services/changes.py"], offenders
    # The feed only reads the log (BatchGetItem), it never constructs or writes a record.
    assert not re.search(r"\bChangeRecord\(|version\.(set|add)\(", _layer_sources()["services/changes.py"])


def test_content_is_written_only_through_the_commit_seam():
    """A module that touches content records may open a transaction only through db/commits.py."""
    for name, text in _layer_sources().items():
        if name in ("db/commits.py", "db/transactions.py"):
            continue
        tree = ast.parse(text)
        opens_transaction = any(
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "transaction"
            for node in ast.walk(tree)
        )
        touches_content = "content_records" in text or "RECORD_CLASSES" in text or "kind.record" in text
        assert not (opens_transaction and touches_content), f"{name} writes content outside db/commits.py"
        assert ".save(" not in text or not touches_content, f"{name} saves content outside db/commits.py"


def test_every_consumer_has_a_dead_letter_destination():
    """STYLE.md §6: what a consumer fails beyond its retries is kept for the operators, never
    dropped: a stream's on-failure destination, a queue's redrive policy, an asynchronous
    invocation's on-failure destination (tests/faults/test_consumer_poison.py sends poison there)."""
    from local.cfn_yaml import load_template

    resources = load_template(ROOT / "template.yaml")["Resources"]
    missing = []
    for function_id, function in resources.items():
        if function.get("Type") != "AWS::Serverless::Function":
            continue
        props = function.get("Properties") or {}
        for event_id, event in (props.get("Events") or {}).items():
            kind, settings = event.get("Type"), event.get("Properties") or {}
            if kind == "DynamoDB":
                kept = ((settings.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            elif kind == "SQS":
                queue = resources[settings["Queue"]["Fn::GetAtt"][0]]
                kept = (queue.get("Properties") or {}).get("RedrivePolicy")
            elif kind in ("EventBridgeRule", "S3", "SNS"):  # invoked asynchronously
                invoke = props.get("EventInvokeConfig") or {}
                kept = ((invoke.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            else:
                continue
            if not kept:
                missing.append(f"{function_id}.{event_id} ({kind})")
    assert not missing, f"consumers without a dead-letter destination: {missing}"
