"""Load (and, where the checker exists, check) every guideline file; print the times.

Run: .venv/bin/python benchmarks/guidelines_load_check.py [--repeat N]
Reads $DEFCORE_GUIDELINES, default ../shared/data/interop beside the checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from defcore.guidelines.loader import load_file
from defcore.guidelines.sources import list_guidelines

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    directory = Path(os.environ.get("DEFCORE_GUIDELINES", ROOT.parent / "shared/data/interop"))
    files = list_guidelines(directory)
    try:
        from defcore.guidelines.check import check
    except ImportError:  # the checker is optional for this figure
        check = None

    load_times, check_times = [], []
    findings = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        guidelines = [load_file(p) for p in files]
        load_times.append(time.perf_counter() - start)
        if check is not None:
            start = time.perf_counter()
            findings = sum(len(check(g)) for g in guidelines)
            check_times.append(time.perf_counter() - start)
    tests = sum(len(g.all_tests()) for g in guidelines)
    print(
        f"files: {len(files)}  capabilities: {sum(len(g.capabilities) for g in guidelines)}"
        f"  tests: {tests}"
    )
    print(
        f"load all:  median {statistics.median(load_times) * 1000:.1f} ms"
        f"  (min {min(load_times) * 1000:.1f} ms, {args.repeat} runs)"
    )
    if check_times:
        print(
            f"check all: median {statistics.median(check_times) * 1000:.1f} ms"
            f"  ({findings} findings)"
        )
        total = [a + b for a, b in zip(load_times, check_times, strict=True)]
        print(f"load+check per file: {statistics.median(total) / len(files) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
