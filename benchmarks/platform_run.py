"""The Platform list on the same Platform lab: `tempest run --serial` against `defcore test`.

Run: /work/venv-lab/bin/python benchmarks/platform_run.py [--guideline 2020.06]
     [--concurrency N] [--nodes 1] [--port-offset 4300] [--dir D]
Starts a fresh Platform lab, runs the 273 tests of "OpenStack Powered Platform" once with
Tempest's own runner, serially, on the tempest.conf defcore's runner builds (the same resources
and clouds.yaml options as `defcore test`), then once with `defcore test` (its default
concurrency unless --concurrency). Prints both times with the load average, their ratio (issue
11's goal: 0.35 or less) and every test whose outcome differs. A serial run takes 20+ minutes.
"""

from __future__ import annotations

import argparse
import os

from storage_run import ROOT, bench_lab, compare, defcore_run, load_average, tempest_serial


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--target", default="OpenStack Powered Platform")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--port-offset", type=int, default=4300)
    parser.add_argument("--dir", help="Where the temporary lab and runs go.")
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    config = {"nodes": args.nodes, "port_offset": args.port_offset, "platform": True}
    with bench_lab(args.dir, config) as base:
        serial = tempest_serial(base, args.guideline, args.target)
        serial_load = load_average()
        ours = defcore_run(base, args.guideline, args.target, args.concurrency)
        ours_load = load_average()
    compare(serial, ours, (serial_load, ours_load), args.concurrency, 0.35)


if __name__ == "__main__":
    main()
