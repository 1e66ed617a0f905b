"""`make bench-cold`: only the cold starts, quickly, for working on them (bench.run measures all).

    .venv/bin/python -m bench.cold [--runs N] [FUNCTION ...]

Seeds the agenda as bench.run does, builds its public snapshot, then cold-starts the named
functions (directory names: agendas, sessions, ...; all by default) beside the bare handler and
prints each one's ratio and where its time goes: self time by top-level package under
`python -X importtime`, at import and at the first invocation. Writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import coldstart, runtime_site
from bench.harness import build_snapshots, quiet, running_stack
from bench.seed import seed


def _by_package(target: coldstart.Target, workdir: Path) -> list[tuple[str, float, float]]:
    return coldstart.import_profile(target, workdir).by_package(12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold", description=__doc__.splitlines()[0])
    parser.add_argument("functions", nargs="*", help="function directories (default: all)")
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function (5)")
    parser.add_argument("--profile", action="store_true", help="also show imports by package")
    parser.add_argument(
        "--restored", action="store_true", help="SnapStart: the first invocation after restore"
    )
    parser.add_argument(
        "--floor", action="store_true", help="add the stack's floor (peers/powertools_floor.py)"
    )
    args = parser.parse_args(argv)
    with running_stack() as stack, coldstart.new_workdir() as scratch:
        workdir = Path(scratch)
        with quiet():
            data = seed(stack)
            build_snapshots(stack, [data.agenda_id])
        site, _ = runtime_site.ensure()
        targets = coldstart.targets(stack, data, workdir / "pycache", site)
        wanted = set(args.functions)
        targets = [
            t
            for t in targets
            if not wanted or t.name in wanted or t.name in (coldstart.BARE, coldstart.FLOOR)
        ]
        cold = coldstart.measure(targets, args.runs, workdir, "restored" if args.restored else "cold")
        bare = next(c for c in cold if c.name == coldstart.BARE)
        for result in cold:
            print(
                f"{result.name:12} {result.ratio_to(bare, measure='net'):5.2f}x  total {result.net_ms:6.1f} ms"
                f"  import {result.median('import_ms'):6.1f}  invoke {result.median('invoke_ms'):6.1f}"
                f"  waits {result.median_waits():5.1f}  {result.outcome}  {result.aws_calls}"
            )
        if args.profile:
            for target in targets:
                print(f"\n{target.name}: package, ms at import, ms at first invocation (-X importtime)")
                for package, at_import, at_invoke in _by_package(target, workdir):
                    print(f"  {package:28} {at_import:7.1f} {at_invoke:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
