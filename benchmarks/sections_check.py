"""Time `defcore sections check` on this venv's keystone and swift: cold cache vs warm.

Run: .venv/bin/python benchmarks/sections_check.py [--guideline 2020.06] [--repeat N]
Cold: an empty cache, so each project's upstream wheel is downloaded from PyPI (the index in
$DEFCORE_PYPI_INDEX, default PyPI). Warm: the same cache, so nothing is downloaded; what is left
is finding the distributions, hashing the installed files, reading the wheels and comparing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from defcore.sections.check import Options, check

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    options = Options(projects=("keystone", "swift"))
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DEFCORE_CACHE_DIR"] = cache
        start = time.perf_counter()
        report = check(args.guideline, options)
        cold = time.perf_counter() - start
        for project in report.projects:
            if project.message:
                raise SystemExit(f"{project.project}: {project.message}")
        files = sum(sum(p.counts().values()) for p in report.projects)
        origins = {d.upstream_origin for p in report.projects for d in p.distributions}
        warm: list[float] = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            check(args.guideline, options)
            warm.append(time.perf_counter() - start)
    versions = ", ".join(f"{d.name} {d.version}" for p in report.projects for d in p.distributions)
    print(f"sections check, guideline {args.guideline}: {versions}; {files} files compared")
    print(f"cold cache (download from {'/'.join(sorted(o or '-' for o in origins))}): {cold:.2f} s")
    print(
        f"warm cache: median {statistics.median(warm):.2f} s, "
        f"min {min(warm):.2f} s over {len(warm)} runs"
    )
    print(f"verdict: {report.verdict.value}")


if __name__ == "__main__":
    main()
