"""Run a function's handler in-process: import it once, call it with a fake Lambda context."""

from __future__ import annotations

import decimal
import gc
import importlib.util
import itertools
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.intrinsics import ACCOUNT_ID
from local.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]
# Lambda refuses a synchronous response above 6 MB, and API Gateway then answers 502.
MAX_RESPONSE_BYTES = 6_291_556
_instances = itertools.count(1)
# One function import at a time: each swaps process-wide state (sys.path, gc.freeze) while it runs.
_loading = threading.Lock()


def _no_freeze() -> None:
    """Stands in for gc.freeze while a function module imports (see import_function_module)."""


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_s - time.monotonic()) * 1000))


def new_context(spec: FunctionSpec, region: str) -> LambdaContext:
    arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.function_name}"
    return LambdaContext(spec.function_name, spec.memory_mb, arn, spec.timeout_s)


@dataclass(frozen=True)
class LoadedHandler:
    """A function's handler and the unique name its module was imported under."""

    handler: Handler
    module_name: str

    def unload(self) -> None:
        """Forget the module, so that a container that is done with can be collected (a test
        process makes hundreds of them)."""
        sys.modules.pop(self.module_name, None)


def import_function_module(source: Path, name: str, code_dir: Path) -> ModuleType:
    """Import a function's module file as `name`, with its code directory on sys.path only while it
    imports (Lambda's /var/task: every function has an `app.py`, none may shadow another).
    Raises ImportError, or whatever the module raises (then `name` is not left registered).

    A function module pauses the garbage collector while it imports, then freezes every object
    alive (a Lambda cold-start optimisation, STYLE.md 5.13). Here one process hosts many
    functions: a freeze would move everything alive, other containers' garbage included, out of
    the collector's reach, and a later unfreeze puts it all in the oldest generation, whose
    collections then almost never come (the test suite grew past 11 GB either way). So freezing
    is a no-op while a function module imports, and collection is switched back on after.
    """
    module_spec = importlib.util.spec_from_file_location(name, source)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(module_spec)
    # Registered before execution: dataclasses and pydantic look their module up by name.
    sys.modules[name] = module
    with _loading:
        collecting, freeze = gc.isenabled(), gc.freeze
        gc.freeze = _no_freeze
        sys.path.insert(0, str(code_dir))
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        finally:
            sys.path.remove(str(code_dir))
            gc.freeze = freeze
            if collecting:
                gc.enable()
    return module


def load_handler(spec: FunctionSpec, base_dir: Path) -> LoadedHandler:
    """Import `<CodeUri>/<module>.py` under a unique module name; its handler and that name.
    The layers' directories are put on sys.path (Lambda's /opt/python)."""
    for layer in spec.layer_dirs:
        layer_dir = (base_dir / layer).resolve()
        # A prebuilt layer keeps its packages under python/; a BuildMethod layer is the package root.
        if (layer_dir / "python").is_dir() and not any(layer_dir.glob("*/__init__.py")):
            layer_dir = layer_dir / "python"
        if str(layer_dir) not in sys.path:
            sys.path.insert(0, str(layer_dir))
    module_path, _, attribute = spec.handler.rpartition(".")
    code_dir = (base_dir / spec.code_uri).resolve()
    source = code_dir / (module_path.replace(".", "/") + ".py")
    safe_id = re.sub(r"\W", "_", spec.logical_id)
    name = f"local_functions_{next(_instances)}_{safe_id}"
    module = import_function_module(source, name, code_dir)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        del sys.modules[name]
        raise ImportError(f"{spec.logical_id}: {source} has no callable {attribute!r}")
    return LoadedHandler(handler, name)


def _json_default(value: Any) -> Any:
    # The Python runtime's marshaller turns Decimal (what boto3 returns for numbers) into numbers.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(result: Any) -> Any:
    """The handler's result as API Gateway receives it: through JSON, within Lambda's 6 MB.

    Raises ValueError when Lambda would fail the invocation instead.
    """
    try:
        payload = json.dumps(result, default=_json_default)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Unable to marshal response: {error}") from error
    if len(payload.encode()) > MAX_RESPONSE_BYTES:
        raise ValueError(
            f"Response payload size ({len(payload)} bytes) exceeded maximum allowed payload size"
        )
    return json.loads(payload)
