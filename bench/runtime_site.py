"""The packages a deployed function can import, and nothing else, for the measured children.

On Lambda a function sees its layer (layers/agenda_core/requirements.txt) and the runtime's boto3.
.venv has far more (moto, pytest, cryptography...), and optional imports change with what is
installed: PyJWT, for one, imports `cryptography` when it finds it, which costs ~15-20 ms of a cold
start that Lambda never pays. So the children run with `python -S` (no .venv site-packages) and
this directory instead: the layer's requirements built for this machine, plus .venv's boto3 when
the layer does not pin its own (then it stands for the runtime's).
Built once per requirements and reused (bench/.cache/, ignored by git).
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.harness import ROOT

CACHE = Path(__file__).resolve().parent / ".cache"
REQUIREMENTS = ROOT / "layers" / "agenda_core" / "requirements.txt"


def _boto3_version() -> str:
    from importlib.metadata import version

    return version("boto3")


def _requires(name: str) -> bool:
    """Whether requirements.txt already names the distribution `name` (then it is not added)."""
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip().lower()
        if re.match(rf"{re.escape(name)}\s*(\[|==|>=|<=|~=|!=|<|>|;|$)", spec):
            return True
    return False


def ensure() -> tuple[Path | None, str]:
    """(the site directory, or None to fall back on .venv; a sentence for the report)."""
    # The runtime's boto3, unless the layer pins its own (which then shadows the runtime's).
    extra = [] if _requires("boto3") else [f"boto3=={_boto3_version()}"]
    key = hashlib.sha256(
        "\n".join(
            [REQUIREMENTS.read_text(encoding="utf-8"), *extra, sys.version, platform.machine()]
        ).encode()
    ).hexdigest()[:16]
    target = CACHE / f"site-{key}"
    done = target / ".complete"
    if not done.exists():
        shutil.rmtree(target, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--target", str(target), "-r", str(REQUIREMENTS), *extra]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["?"])[-1]
            return None, (
                f"Could not install the layer's requirements for the children ({last}): they ran with "
                ".venv's site-packages, dev packages included (e.g. PyJWT then imports cryptography)."
            )
        CACHE.joinpath(".gitignore").write_text("*\n", encoding="utf-8")
        done.touch()
        for old in CACHE.glob("site-*"):  # earlier requirements: never used again
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
    added = f" + {extra[0]} (the runtime's)" if extra else ""
    return target, (
        f"Children run with `python -S` and only the layer's requirements{added} on sys.path "
        f"(bench/.cache/{target.name}), as a deployed function sees them."
    )
