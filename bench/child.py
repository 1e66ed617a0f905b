"""One measured Lambda "container": run as a script in a fresh interpreter by coldstart.py and cpu.py.

    python bench/child.py MODE CODE_DIR HANDLER SPEC_FILE [LAYER_DIR ...]

MODE is `cold` (time the import of the handler module and its first invocation), `restored` (as
`cold`, but as SnapStart runs it: the import and the before-snapshot hooks the handler registered
with Lambda's `snapshot_restore_py` happen first, untimed, as they would before the snapshot; then
the after-restore hooks and the first invocation are timed), or `warm` (import, warm up, then time
each of many invocations). HANDLER is `module.attribute` as in the template.
SPEC_FILE is JSON: {"event": ..., "function_name", "memory_mb"}, plus for `cold` optionally
"keep_body" (the result then carries the response's body, untimed), for `warm` "warmups",
"iterations", "name" and optionally "companions": [{"name", "code_dir", "handler"}], other
handlers invoked in turn with the same event in the same process, or "handlers": [{"name",
"event"?, "code_dir"?, "handler"?}], the full list taking turns (an entry without "handler" is
the function's own handler again, e.g. with another event; without "event", the spec's).
In `warm` mode every AWS request of every invocation is recorded (botocore is hooked after the
imports, so nothing is added to what they cost): per handler, how often each sequence of
operations happened ("Query", "Query+Query (next page)", "GetObject", "" for none), the bytes
each operation's answers carried, and the Content-Encoding of the handler's answers. In `cold`
mode a stream handler's answer gives "batch_failures" (its batchItemFailures, counted).

Nothing but `sys` and `time` (both loaded at interpreter start) is imported before the handler
module: anything imported here first would be missing from the handler's measured import time.
The spec is read as text up front and parsed only after the import, with the handler's own `json`.
The result is one line on stdout, `BENCH_RESULT {json}`, last, after whatever the handler logged.
"""

import sys
import time

RESULT_MARKER = "BENCH_RESULT "
# On stderr, around the handler import: they split `-X importtime` output into startup / import / invoke.
IMPORT_MARKER = "BENCH_PHASE import"
PHASE_MARKER = "BENCH_PHASE invoke"


class _Context:
    """The attributes of the Lambda context that Powertools and handlers read."""

    def __init__(self, function_name: str, memory_mb: int, request_number: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = f"00000000-0000-4000-8000-{request_number:012d}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + 10

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _response_summary(response: object) -> tuple[int, int, str]:
    """(statusCode, body length in bytes, Content-Encoding) of a proxy response; a base64 body
    (API Gateway's binary answers: gzip bytes) counts its decoded bytes. (0, 0, "") if it is not
    a proxy response (a stream handler's answer)."""
    if not isinstance(response, dict):
        return 0, 0, ""
    body = str(response.get("body") or "")
    size = len(body.encode())
    if response.get("isBase64Encoded"):
        size = len(body) * 3 // 4 - body[-2:].count("=")
    headers = {str(k).lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        if values:
            headers.setdefault(str(name).lower(), values[0])
    encoding = str(headers.get("content-encoding") or ("identity" if "statusCode" in response else ""))
    return int(response.get("statusCode") or 0), size, encoding


def _queued_ms() -> float:
    """How long this process has waited for a CPU while runnable (/proc/self/schedstat, Linux):
    on a busy machine, time that belongs to the other work, not to the code measured. 0 elsewhere."""
    try:
        with open("/proc/self/schedstat", encoding="ascii") as stats:
            return int(stats.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def _peak_rss_mb() -> float:
    """This process's peak resident memory, in MiB.

    VmHWM first: Linux carries `ru_maxrss` over from the parent across fork + exec (exec records
    the old address space's high-water mark), so every child would report the bench's own RSS.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _AwsCalls:
    """Every AWS HTTP request from now on: its operation (a Query's later page as "Query (next
    page)"), the bytes of its answer (Content-Length: an S3 object's size) and the wall time spent
    waiting in it with the CPU idle (the emulator's share, which runs in another process and is
    far slower than DynamoDB). Hooks botocore's Endpoint after the handler's import, so it costs
    that nothing; a handler that imports botocore only on its first request (the agendas function's
    anonymous read) is hooked when it does (`_AfterImport`). Without botocore it records nothing."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.sizes: list[int] = []  # answer bytes, one per operation
        self.wait_ms = 0.0
        endpoint_module = sys.modules.get("botocore.endpoint")
        if endpoint_module is None:
            sys.meta_path.insert(0, _AfterImport("botocore.endpoint", self._hook))  # type: ignore[arg-type]
        else:
            self._hook(endpoint_module)

    def _hook(self, endpoint_module: object) -> None:
        endpoint_class = getattr(endpoint_module, "Endpoint")  # noqa: B009 - a module, untyped here
        original = endpoint_class._do_get_response
        calls = self

        def counted(endpoint: object, request: object, operation_model: object, context: object) -> object:
            name = getattr(operation_model, "name", "?")
            body = getattr(request, "body", b"") or b""
            if isinstance(body, str):
                body = body.encode()
            # Only a JSON body is looked into: a file-like one (S3's PutObject) would be consumed.
            later_page = isinstance(body, bytes) and b'"ExclusiveStartKey"' in body
            calls.operations.append(name + (" (next page)" if later_page else ""))
            wall, cpu, queued = time.perf_counter(), time.process_time(), _queued_ms()
            size = 0
            try:
                answer = original(endpoint, request, operation_model, context)
                http_response = answer[0][0] if isinstance(answer[0], tuple) else None
                if http_response is not None:
                    size = int(http_response.headers.get("content-length") or 0)
                return answer
            finally:
                calls.sizes.append(size)
                busy = (time.process_time() - cpu) * 1000 + (_queued_ms() - queued)
                calls.wait_ms += max(0.0, (time.perf_counter() - wall) * 1000 - busy)

        endpoint_class._do_get_response = counted

    def clear(self) -> None:
        self.operations.clear()
        self.sizes.clear()
        self.wait_ms = 0.0


class _AfterImport:
    """A meta path finder that lets one module load as usual, then hands it to `then`, once."""

    def __init__(self, name: str, then: object) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: object, target: object = None) -> object:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # type: ignore[arg-type]
        from importlib.machinery import PathFinder  # loaded with the interpreter: free

        spec = PathFinder.find_spec(fullname, path)  # type: ignore[arg-type]
        loader = getattr(spec, "loader", None)
        if loader is None:
            return spec
        load, then = loader.exec_module, self.then

        def exec_module(module: object) -> None:
            load(module)
            then(module)  # type: ignore[operator]

        loader.exec_module = exec_module
        return spec


class _SnapStartRuntime:
    """Lambda's `snapshot_restore_py` module, as SnapStart's Python runtime provides it: hooks
    registered to run before the snapshot and after a restore. Built without an import."""

    def __init__(self) -> None:
        self.before_snapshot: list[tuple[object, tuple[object, ...], dict[str, object]]] = []
        self.after_restore: list[tuple[object, tuple[object, ...], dict[str, object]]] = []
        module = type(sys)("snapshot_restore_py")
        module.register_before_snapshot = self._registrar(self.before_snapshot)  # type: ignore[attr-defined]
        module.register_after_restore = self._registrar(self.after_restore)  # type: ignore[attr-defined]
        sys.modules["snapshot_restore_py"] = module

    @staticmethod
    def _registrar(hooks: list[tuple[object, tuple[object, ...], dict[str, object]]]) -> object:
        def register(function: object, *args: object, **kwargs: object) -> object:
            hooks.append((function, args, kwargs))
            return function

        return register

    @staticmethod
    def run(hooks: list[tuple[object, tuple[object, ...], dict[str, object]]]) -> None:
        for function, args, kwargs in hooks:
            function(*args, **kwargs)  # type: ignore[operator]


def main() -> None:
    mode, code_dir, handler_spec, spec_file, *layer_dirs = sys.argv[1:]
    snapstart = _SnapStartRuntime() if mode == "restored" else None
    # Lambda's sys.path: the code directory (/var/task) first, then the layer (/opt/python).
    # This script's own directory goes: nothing in bench/ may shadow a library.
    sys.path[0:1] = [code_dir, *layer_dirs]
    with open(spec_file, encoding="utf-8") as handle:
        spec_text = handle.read()
    module_name, _, attribute = handler_spec.rpartition(".")

    print(IMPORT_MARKER, file=sys.stderr, flush=True)
    queued0 = _queued_ms()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    __import__(module_name)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    queued1 = _queued_ms()
    print(PHASE_MARKER, file=sys.stderr, flush=True)
    handler = getattr(sys.modules[module_name], attribute)

    import json  # already imported by the handler in practice; free either way, not timed

    spec = json.loads(spec_text)
    event_text = json.dumps(spec["event"])
    function_name, memory_mb = spec["function_name"], int(spec["memory_mb"])
    result: dict[str, object] = {
        "import_ms": (wall1 - wall0) * 1000,
        "import_cpu_ms": (cpu1 - cpu0) * 1000,
        "import_queued_ms": queued1 - queued0,
    }

    if mode in ("cold", "restored"):
        event, context = json.loads(event_text), _Context(function_name, memory_mb, 1)
        error = None
        if snapstart is not None:
            # Before the snapshot: the import (above) and the priming hooks, neither of which a
            # restored container pays again. Recorded apart; the import no longer counts.
            wall_s = time.perf_counter()
            snapstart.run(snapstart.before_snapshot)
            result.update(
                snapshot_ms=result["import_ms"] + (time.perf_counter() - wall_s) * 1000,
                snapshot_hooks=len(snapstart.before_snapshot),
                import_ms=0.0,
                import_cpu_ms=0.0,
                import_queued_ms=0.0,
            )
        calls = _AwsCalls()
        queued2 = _queued_ms()
        wall2, cpu2 = time.perf_counter(), time.process_time()
        try:
            if snapstart is not None:
                snapstart.run(snapstart.after_restore)
            response = handler(event, context)
        except Exception as exc:  # a broken handler is a result to report, not a crash of the bench
            response, error = None, f"{type(exc).__name__}: {exc}"
        wall3, cpu3 = time.perf_counter(), time.process_time()
        queued3 = _queued_ms()
        status, size, _ = _response_summary(response)
        if isinstance(response, dict) and "batchItemFailures" in response:  # a stream handler
            result["batch_failures"] = len(response["batchItemFailures"] or [])
        result.update(
            invoke_ms=(wall3 - wall2) * 1000,
            invoke_cpu_ms=(cpu3 - cpu2) * 1000,
            status=status,
            body_bytes=size,
            error=error,
            aws_calls=list(calls.operations),
            aws_wait_ms=calls.wait_ms,
            invoke_queued_ms=queued3 - queued2,
        )
        if spec.get("keep_body") and isinstance(response, dict):
            # The answer itself, for a check of what a handler returns (bench/peer_bench.py).
            result["body"] = response.get("body")
    else:
        # Companions (the bare handler beside the function) share the process and their
        # invocations alternate with the function's, so whatever else the machine is doing
        # weighs on both alike: the ratio stays fair on a busy machine.
        entries = spec.get("handlers") or [
            {"name": str(spec.get("name", module_name))},
            *spec.get("companions", []),
        ]
        handlers = []  # (name, handler, event as JSON text)
        for entry in entries:
            function = handler
            if entry.get("handler"):
                sys.path.insert(0, entry["code_dir"])
                companion_module, _, companion_attribute = entry["handler"].rpartition(".")
                __import__(companion_module)
                function = getattr(sys.modules[companion_module], companion_attribute)
            text = json.dumps(entry["event"]) if "event" in entry else event_text
            handlers.append((str(entry["name"]), function, text))
        calls = _AwsCalls()
        warmups, iterations = int(spec["warmups"]), int(spec["iterations"])
        series: dict[str, dict[str, object]] = {}
        for name, _, _ in handlers:
            series[name] = {
                "cpu_ms": [],
                "wall_ms": [],
                "statuses": {},
                "body_bytes": 0,
                "requests": {},
                "aws_bytes": {},
                "encodings": {},
            }
        for number in range(warmups + iterations):
            for name, function, text in handlers:
                # Each invocation gets a fresh event and context, as Lambda gives it; built untimed.
                event, context = json.loads(text), _Context(function_name, memory_mb, number)
                calls.clear()
                wall_a, cpu_a = time.perf_counter(), time.process_time()
                response = function(event, context)
                wall_b, cpu_b = time.perf_counter(), time.process_time()
                status, size, encoding = _response_summary(response)
                record = series[name]
                statuses, encodings = record["statuses"], record["encodings"]
                assert isinstance(statuses, dict) and isinstance(encodings, dict)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                encodings[encoding] = encodings.get(encoding, 0) + 1
                record["body_bytes"] = size
                if number >= warmups:
                    for key, value in (("cpu_ms", cpu_b - cpu_a), ("wall_ms", wall_b - wall_a)):
                        values = record[key]
                        assert isinstance(values, list)
                        values.append(value * 1000)
                    requests = record["requests"]
                    assert isinstance(requests, dict)
                    sequence = "+".join(calls.operations)
                    requests[sequence] = requests.get(sequence, 0) + 1
                    received = record["aws_bytes"]  # operation -> answer bytes, all invocations
                    assert isinstance(received, dict)
                    for operation, answer_bytes in zip(calls.operations, calls.sizes, strict=True):
                        received[operation] = received.get(operation, 0) + answer_bytes
        result["handlers"] = series

    result["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
