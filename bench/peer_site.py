"""The packages each peer's children see, and nothing else: the peers' answer to runtime_site.

A peer is measured like the bare handler and our functions (bench/runtime_site.py): `python -S`,
only what its deployment would carry on sys.path, so that neither .venv's dev packages nor our
layer change what it imports. Each peer that needs packages our layer does not have gets its own
directory, built once per pins with `pip install --target` (bench/.cache/peers-<name>-<hash>):

- fastapi: FastAPI, Starlette and Mangum at the `bench` extra's pins (pyproject.toml), with
  pydantic, boto3 and botocore at our runtime pins (the same versions ours and the bare handler
  run), and tzdata (Lambda's image has no zone database; ours carries the same package);
- chalice: Chalice without its dependencies (a deployed Chalice package carries only
  `chalice/__init__.py` and `chalice/app.py`, standard library only), plus boto3, botocore and
  tzdata as above.

The naive Powertools peer needs exactly the layer's packages: it runs on runtime_site's directory.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from bench.harness import ROOT
from bench.runtime_site import CACHE

PYPROJECT = ROOT / "pyproject.toml"

# name -> ((distributions installed with their dependencies), (distributions installed without)).
SITES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fastapi": (("fastapi", "starlette", "mangum", "pydantic", "boto3", "botocore", "tzdata"), ()),
    "chalice": (("boto3", "botocore", "tzdata"), ("chalice",)),
}


def _pins() -> dict[str, str]:
    """Distribution name (lower case) -> its exact requirement, from the runtime dependencies and
    the `bench` extra of pyproject.toml."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    pins: dict[str, str] = {}
    for requirement in [*project["dependencies"], *project["optional-dependencies"].get("bench", [])]:
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==", requirement)
        if match:
            pins[match.group(1).lower()] = requirement.strip()
    return pins


def _install(target: Path, requirements: list[str], no_deps: bool) -> str | None:
    """pip install --target; None on success, else pip's last line of complaint."""
    if not requirements:
        return None
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--target", str(target), *(["--no-deps"] if no_deps else []), *requirements]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode == 0:
        return None
    return (completed.stderr.strip().splitlines() or ["?"])[-1]


def ensure(name: str) -> tuple[Path | None, str]:
    """(peer `name`'s site directory, or None to fall back on .venv; a sentence for the report)."""
    pins = _pins()
    with_deps, without_deps = SITES[name]
    missing = [dist for dist in (*with_deps, *without_deps) if dist not in pins]
    if missing:
        return None, f"{name}: no exact pin in pyproject.toml for {', '.join(missing)}; ran on .venv."
    first = [pins[dist] for dist in with_deps]
    second = [pins[dist] for dist in without_deps]
    key = hashlib.sha256(
        "\n".join([*first, "--no-deps", *second, sys.version, platform.machine()]).encode()
    ).hexdigest()[:16]
    target = CACHE / f"peers-{name}-{key}"
    done = target / ".complete"
    if not done.exists():
        shutil.rmtree(target, ignore_errors=True)
        failure = _install(target, first, no_deps=False) or _install(target, second, no_deps=True)
        if failure:
            return None, (
                f"{name}: could not install its packages ({failure}); its children ran on .venv's "
                "site-packages, dev packages included."
            )
        CACHE.joinpath(".gitignore").write_text("*\n", encoding="utf-8")
        done.touch()
        for old in CACHE.glob(f"peers-{name}-*"):  # earlier pins: never used again
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
    return target, f"{name}: {', '.join([*first, *second])} (bench/.cache/{target.name})"


def ensure_all() -> tuple[dict[str, Path | None], str]:
    """Every peer site: (name -> directory or None, one sentence for the report)."""
    sites: dict[str, Path | None] = {}
    parts = []
    for name in SITES:
        sites[name], note = ensure(name)
        parts.append(note)
    return sites, (
        "Peers' children run with `python -S` and only their own packages on sys.path, as each "
        "would be deployed (bench/peer_site.py); the naive Powertools peer on the layer's: "
        + "; ".join(parts)
        + "."
    )
