"""An add-on's tests on the lab that serves it: `tempest run --serial` against `defcore test`.

Run: .venv/bin/python benchmarks/addon_run.py --target orchestration|dns [--guideline 2020.06]
     [--concurrency N] [--port-offset 4500] [--dir D] [--lab-dir RUNNING_LAB]
Starts a fresh Platform lab with the add-on's services (`--with heat`, `--with designate`), or
uses the running lab in --lab-dir (left as found), then runs the add-on target's tests twice
with the same plugin: once with Tempest's own runner, serially, on the tempest.conf defcore's
runner builds (plugin sections included), once with `defcore test`. Prints the lab's start
time, both run times with the load average, their ratio and every test whose outcome differs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage_run import ROOT, bench_lab, compare, defcore_run, load_average, tempest_serial

from defcore.lab.lab import LabState

SERVICES = {"orchestration": "heat", "dns": "designate"}


@contextmanager
def running_lab(lab_dir: Path, directory: str | None) -> Iterator[Path]:
    """A lab someone else started: its clouds.yaml, fresh data and cache beside the runs."""
    state = LabState.load(lab_dir)
    clouds = Path(state.clouds_file) if state is not None else lab_dir / "clouds.yaml"
    if not clouds.is_file():
        raise SystemExit(f"--lab-dir {lab_dir}: no clouds.yaml (is a lab running there?)")
    base = Path(tempfile.mkdtemp(prefix="bench-addon-", dir=directory))
    os.environ["DEFCORE_DATA_DIR"] = str(base / "data")
    os.environ["DEFCORE_CACHE_DIR"] = str(base / "cache")
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds)
    yield base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True, choices=sorted(SERVICES))
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--port-offset", type=int, default=4500)
    parser.add_argument("--dir", help="Where the temporary lab and runs go.")
    parser.add_argument("--lab-dir", type=Path, help="Use the lab running there.")
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    config = {
        "nodes": 1,
        "port_offset": args.port_offset,
        "platform": True,
        "addons": frozenset({SERVICES[args.target]}),
    }
    began = time.perf_counter()
    where = running_lab(args.lab_dir, args.dir) if args.lab_dir else bench_lab(args.dir, config)
    with where as base:
        if not args.lab_dir:
            print(f"lab with {SERVICES[args.target]}: up in {time.perf_counter() - began:.1f} s")
        serial = tempest_serial(base, args.guideline, args.target)
        serial_load = load_average()
        ours = defcore_run(base, args.guideline, args.target, args.concurrency)
        ours_load = load_average()
    compare(serial, ours, (serial_load, ours_load), args.concurrency, 0.5)


if __name__ == "__main__":
    main()
