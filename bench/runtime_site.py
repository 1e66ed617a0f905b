"""The packages a deployed function can import, and nothing else, for the measured children.

On Lambda a function sees its layer (layers/agenda_core/requirements.txt) and the runtime's boto3.
.venv has far more (moto, pytest, cryptography...), and optional imports change with what is
installed: PyJWT, for one, imports `cryptography` when it finds it, which costs ~15-20 ms of a cold
start that Lambda never pays. So the children run with `python -S` (no .venv site-packages) and
this directory instead: the layer's requirements for this machine, plus boto3 at .venv's version.
Built once per requirements and reused (bench/.cache/, ignored by git).
"""

from __future__ import annotations

import hashlib
import platform
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


def ensure() -> tuple[Path | None, str]:
    """(the site directory, or None to fall back on .venv; a sentence for the report)."""
    boto3 = f"boto3=={_boto3_version()}"
    key = hashlib.sha256(
        "\n".join([REQUIREMENTS.read_text(encoding="utf-8"), boto3, sys.version, platform.machine()]).encode()
    ).hexdigest()[:16]
    target = CACHE / f"site-{key}"
    done = target / ".complete"
    if not done.exists():
        shutil.rmtree(target, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--target", str(target), "-r", str(REQUIREMENTS), boto3]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["?"])[-1]
            return None, (
                f"Could not install the layer's requirements for the children ({last}): they ran with "
                ".venv's site-packages, dev packages included (e.g. PyJWT then imports cryptography)."
            )
        CACHE.joinpath(".gitignore").write_text("*\n", encoding="utf-8")
        done.touch()
    return target, (
        "Children run with `python -S` and only the layer's requirements + "
        f"{boto3} on sys.path (bench/.cache/{target.name}), as a deployed function sees them."
    )
