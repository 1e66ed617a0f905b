"""Run a command and report its wall time and the peak memory of its whole process tree.

    python3 scripts/measure_run.py [--label NAME] -- COMMAND [ARG...]

Exits with the command's exit code. The last lines it prints (one summary, grep-able in any CI
log) say how long the command took and its peak memory:

- the peak of the sum of the tree's proportional set sizes (PSS: shared pages split between the
  processes that share them, so pytest-xdist workers, the dev servers and Chromium that tests
  start are all counted, nothing twice), sampled every half second from /proc;
- the largest resident set of any single process (what `/usr/bin/time -v` reports), from the
  kernel's own accounting, which no sampling can miss.

Standard library only, Linux only (it reads /proc): it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_SECONDS = 0.5


def _children() -> dict[int, list[int]]:
    """pid -> its child pids, for every process visible now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name is in parentheses and may hold spaces: the ppid follows the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _tree(root: int) -> list[int]:
    children, seen, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(children.get(pid, []))
    return seen


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass  # gone meanwhile, or not ours to read
    return 0


class PeakSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kib = 0
        self.processes_at_peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            pids = _tree(self.root)
            total = sum(_pss_kib(pid) for pid in pids)
            if total > self.peak_kib:
                self.peak_kib, self.processes_at_peak = total, len(pids)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--label", default="command")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    started = time.monotonic()
    process = subprocess.Popen(command)  # noqa: S603 - runs what it is given, as time(1) does
    sampler = PeakSampler(process.pid)
    sampler.start()
    code = process.wait()
    sampler.stopped.set()
    sampler.join()
    seconds = time.monotonic() - started
    largest_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"=== {args.label}: {seconds:.0f} s wall; peak memory {sampler.peak_kib / 1024:.0f} MiB "
        f"(PSS of the whole process tree, {sampler.processes_at_peak} processes at the peak); "
        f"largest single process {largest_mib:.0f} MiB RSS; exit {code}",
        flush=True,
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
