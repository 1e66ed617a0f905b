"""The layer's size, unzipped and zipped, and what takes the room.

Lambda allows 250 MB unzipped for the function and all its layers together; size also costs
cold start (the layer is fetched and unpacked on new hosts). Prefer the real artefact of
`sam build` (`make build`); without one, install what `sam build` would (the aarch64 wheels for
Python 3.13) into a temporary directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import ROOT

BUILT = ROOT / ".aws-sam" / "build" / "AgendaCoreLayer"
SOURCE = ROOT / "layers" / "agenda_core"
LAMBDA_UNZIPPED_LIMIT_MB = 250


@dataclass
class LayerSize:
    source: str  # where the measured tree came from
    unzipped_mb: float = 0.0
    zipped_mb: float = 0.0
    files: int = 0
    largest: list[tuple[str, float]] = field(default_factory=list)  # top-level entries, MB
    py_without_pyc: int = 0  # .py files with no cpython-313 bytecode next to them
    py_files: int = 0
    error: str | None = None


def _pip_install(target: Path) -> None:
    """What `sam build` puts in the layer: the requirements as aarch64 wheels, plus agenda_core."""
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--target", str(target), "-r", str(SOURCE / "requirements.txt")),
            *("--platform", "manylinux2014_aarch64", "--only-binary=:all:"),
            *("--python-version", "3.13", "--implementation", "cp"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    shutil.copytree(
        SOURCE / "agenda_core", target / "agenda_core", ignore=shutil.ignore_patterns("__pycache__")
    )


def _measure(tree: Path, result: LayerSize) -> None:
    """Fill in sizes from `tree`, whose contents are the zip's root (python/... for a built layer)."""
    sizes: dict[str, int] = {}
    total = 0
    base = tree / "python" if (tree / "python").is_dir() else tree
    with tempfile.TemporaryDirectory(prefix="agenda-layer-zip-") as scratch:
        archive = Path(scratch) / "layer.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(tree.rglob("*")):
                if not path.is_file():
                    continue
                size = path.stat().st_size
                total += size
                result.files += 1
                zipped.write(path, path.relative_to(tree).as_posix())
                relative = path.relative_to(base) if path.is_relative_to(base) else path.relative_to(tree)
                top = relative.parts[0]
                sizes[top] = sizes.get(top, 0) + size
                if path.suffix == ".py":
                    result.py_files += 1
                    compiled = path.parent / "__pycache__" / f"{path.stem}.cpython-313.pyc"
                    if not compiled.exists():
                        result.py_without_pyc += 1
        result.zipped_mb = archive.stat().st_size / 1e6
    result.unzipped_mb = total / 1e6
    result.largest = [(name, size / 1e6) for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:8]]


def measure() -> list[LayerSize]:
    """The `sam build` artefact if there is one, and always what the requirements install today."""
    results = []
    if BUILT.is_dir():
        built = LayerSize(source=f"{BUILT.relative_to(ROOT)} (sam build artefact)")
        _measure(BUILT, built)
        results.append(built)
    fresh = LayerSize(source="requirements.txt today: pip install --target (aarch64, cp313) + agenda_core")
    with tempfile.TemporaryDirectory(prefix="agenda-layer-") as scratch:
        target = Path(scratch) / "python"
        try:
            _pip_install(target)
        except (subprocess.SubprocessError, OSError) as error:
            detail = str(getattr(error, "stderr", "") or error).strip()
            fresh.error = f"pip install failed: {detail.splitlines()[-1] if detail else error}"
        else:
            _measure(Path(scratch), fresh)
    results.append(fresh)
    return results


def staleness() -> str | None:
    """A note when the built artefact is older than the layer's source (it then measures old code)."""
    if not BUILT.is_dir():
        return None
    from datetime import UTC, datetime

    built = BUILT.stat().st_mtime
    newest = max((path.stat().st_mtime for path in SOURCE.rglob("*") if path.is_file()), default=0.0)
    stamp = datetime.fromtimestamp(built, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if newest > built:
        return f"The layer artefact ({stamp}) is older than layers/agenda_core: `make build` to measure the current code."
    return f"The layer artefact was built {stamp}, after the last change to layers/agenda_core."
