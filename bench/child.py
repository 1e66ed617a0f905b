"""One measured Lambda "container": run as a script in a fresh interpreter by coldstart.py and cpu.py.

    python bench/child.py MODE CODE_DIR HANDLER SPEC_FILE [LAYER_DIR ...]

MODE is `cold` (time the import of the handler module and its first invocation) or `warm` (import,
warm up, then time each of many invocations). HANDLER is `module.attribute` as in the template.
SPEC_FILE is JSON: {"event": ..., "function_name", "memory_mb"}, plus for `cold` optionally
"keep_body" (the result then carries the response's body, untimed), for `warm` "warmups",
"iterations", "name" and optionally "companions": [{"name", "code_dir", "handler"}], other
handlers invoked in turn with the same event in the same process, or "handlers": [{"name",
"event"?, "code_dir"?, "handler"?}], the full list taking turns (an entry without "handler" is
the function's own handler again, e.g. with another event; without "event", the spec's).
In `warm` mode every AWS request of every invocation is recorded (botocore is hooked after the
imports, so nothing is added to what they cost): per handler, how often each sequence of
operations happened ("Query", "Query+Query(next page)", "" for none: a cache hit).

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


def _response_summary(response: object) -> tuple[int, int]:
    """(statusCode, body length in bytes) of a proxy response; (0, 0) if it is not one."""
    if isinstance(response, dict):
        body = response.get("body") or ""
        return int(response.get("statusCode") or 0), len(str(body).encode())
    return 0, 0


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
    page)") and the wall time spent waiting in it with the CPU idle (the emulator's share, which
    runs in another process and is far slower than DynamoDB). Hooks botocore's Endpoint after
    the imports, so it costs them nothing; with no botocore loaded it records nothing."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.wait_ms = 0.0
        endpoint_module = sys.modules.get("botocore.endpoint")
        if endpoint_module is None:
            return
        endpoint_class = endpoint_module.Endpoint
        original = endpoint_class._do_get_response
        calls = self

        def counted(endpoint: object, request: object, operation_model: object, context: object) -> object:
            name = getattr(operation_model, "name", "?")
            body = getattr(request, "body", b"") or b""
            if isinstance(body, str):
                body = body.encode()
            calls.operations.append(name + (" (next page)" if b'"ExclusiveStartKey"' in body else ""))
            wall, cpu, queued = time.perf_counter(), time.process_time(), _queued_ms()
            try:
                return original(endpoint, request, operation_model, context)
            finally:
                busy = (time.process_time() - cpu) * 1000 + (_queued_ms() - queued)
                calls.wait_ms += max(0.0, (time.perf_counter() - wall) * 1000 - busy)

        endpoint_class._do_get_response = counted

    def clear(self) -> None:
        self.operations.clear()
        self.wait_ms = 0.0


def main() -> None:
    mode, code_dir, handler_spec, spec_file, *layer_dirs = sys.argv[1:]
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

    if mode == "cold":
        event, context = json.loads(event_text), _Context(function_name, memory_mb, 1)
        error = None
        calls = _AwsCalls()
        queued2 = _queued_ms()
        wall2, cpu2 = time.perf_counter(), time.process_time()
        try:
            response = handler(event, context)
        except Exception as exc:  # a broken handler is a result to report, not a crash of the bench
            response, error = None, f"{type(exc).__name__}: {exc}"
        wall3, cpu3 = time.perf_counter(), time.process_time()
        queued3 = _queued_ms()
        status, size = _response_summary(response)
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
            series[name] = {"cpu_ms": [], "wall_ms": [], "statuses": {}, "body_bytes": 0, "requests": {}}
        for number in range(warmups + iterations):
            for name, function, text in handlers:
                # Each invocation gets a fresh event and context, as Lambda gives it; built untimed.
                event, context = json.loads(text), _Context(function_name, memory_mb, number)
                calls.clear()
                wall_a, cpu_a = time.perf_counter(), time.process_time()
                response = function(event, context)
                wall_b, cpu_b = time.perf_counter(), time.process_time()
                status, size = _response_summary(response)
                record = series[name]
                statuses = record["statuses"]
                assert isinstance(statuses, dict)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
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
        result["handlers"] = series

    result["peak_rss_mb"] = _peak_rss_mb()
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
