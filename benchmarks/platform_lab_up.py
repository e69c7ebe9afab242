"""Time `defcore lab up --platform` to every service healthy, per step, and its memory.

Run: /work/venv-lab/bin/python benchmarks/platform_lab_up.py [--repeat 1] [--nodes 1]
     [--with heat] [--port-offset 4200] [--dir D]
     (--with: an add-on service too: its line is the add-on's own time to healthy)
(a venv with defcore[lab,platform], and Debian's mariadb-server and rabbitmq-server). Each
round starts a fresh Platform lab in a temporary directory (under D if given), prints when
each service began preparing, started and was ready, the load average, then the sum of RSS of
every process of the lab (gunicorn workers, Erlang and MariaDB included), and stops it. Goals
(issue 11): 90 s or less to healthy with the venv present; under 4 GB.
The first lab after an install makes the schema syncs and keeps their dumps
(defcore/lab/schema_cache.py); `DEFCORE_LAB_SCHEMA_CACHE=off` times a lab that syncs anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from defcore import lab


def one_round(
    nodes: int, port_offset: int, parent: str | None, addons: frozenset[str] = frozenset()
) -> tuple[float, int, dict[str, dict[str, float]]]:
    marks: dict[str, dict[str, float]] = {}
    began = time.perf_counter()

    def progress(step: str) -> None:
        service, _, what = step.partition(": ")
        if not what:  # "waiting for <process>"
            return
        phase = what if what in ("starting", "ready") else "preparing"
        marks.setdefault(service, {})[phase] = time.perf_counter() - began

    with tempfile.TemporaryDirectory(prefix="plab-", dir=parent) as directory:
        config = lab.LabConfig(
            directory=Path(directory),
            nodes=nodes,
            port_offset=port_offset,
            platform=True,
            addons=addons,
        )
        try:
            lab.up(config, progress=progress)
            total = time.perf_counter() - began
            rss = sum(h.rss for h in lab.status(Path(directory)))
        finally:
            lab.down(Path(directory))
    return total, rss, marks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--with", dest="addons", action="append", default=[])
    parser.add_argument("--port-offset", type=int, default=4200)
    parser.add_argument("--dir", help="Where the temporary labs go.")
    args = parser.parse_args()
    totals = []
    for round_number in range(1, args.repeat + 1):
        before = os.getloadavg()
        total, rss, marks = one_round(
            args.nodes, args.port_offset, args.dir, frozenset(args.addons)
        )
        totals.append(total)
        after = os.getloadavg()
        print(
            f"round {round_number}: every service healthy in {total:.1f} s "
            f"(load average before {before[0]:.2f}, after {after[0]:.2f} {after[1]:.2f})"
        )
        for service, phases in sorted(marks.items(), key=lambda item: item[1]["preparing"]):
            prepared = phases.get("starting", 0.0) - phases["preparing"]
            healthy = phases.get("ready", 0.0) - phases.get("starting", 0.0)
            print(
                f"  {service:<10} prepare @{phases['preparing']:5.1f} s ({prepared:5.1f} s), "
                f"start to ready {healthy:5.1f} s, ready @{phases.get('ready', 0.0):5.1f} s"
            )
        print(f"  memory: {rss / 2**30:.2f} GiB (sum of RSS; goal: under 4 GB)")
    print(
        f"Platform lab up, {args.nodes} storage node(s), to healthy: "
        f"median {statistics.median(totals):.1f} s over {args.repeat} round(s) "
        "(goal: 90 s or less)"
    )


if __name__ == "__main__":
    main()
