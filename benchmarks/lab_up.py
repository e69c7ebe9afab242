"""Time `defcore lab up` to every service healthy, venv present, and where the time goes.

Run: .venv/bin/python benchmarks/lab_up.py [--nodes 3] [--repeat 3]
Each round starts a fresh lab in a temporary directory on ports offset by 4000 (so a developer's
own lab on the default ports is left alone), records when each step began, and stops it.
The goal (issue 3) is 20 s or less on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from defcore import lab


def one_round(nodes: int) -> tuple[float, list[tuple[str, float]]]:
    steps: list[tuple[str, float]] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="defcore-lab-bench-") as directory:
        config = lab.LabConfig(directory=Path(directory), nodes=nodes, port_offset=4000)
        try:
            lab.up(config, progress=lambda s: steps.append((s, time.perf_counter() - began)))
            total = time.perf_counter() - began
        finally:
            lab.down(Path(directory))
    return total, steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    totals = []
    for round_number in range(1, args.repeat + 1):
        total, steps = one_round(args.nodes)
        totals.append(total)
        marks = ", ".join(
            f"{name.split(':')[0]} @{at:.1f}s"
            for name, at in steps
            if not name.startswith("waiting")
        )
        print(f"round {round_number}: healthy in {total:.1f} s ({marks})")
    print(
        f"lab up, {args.nodes} storage nodes, to healthy: "
        f"median {statistics.median(totals):.1f} s, "
        f"min {min(totals):.1f} s, max {max(totals):.1f} s over {args.repeat} rounds "
        "(goal: 20 s or less)"
    )


if __name__ == "__main__":
    main()
