"""The Storage list on the same lab: `tempest run --serial` against `defcore test`, side by side.

Run: .venv/bin/python benchmarks/storage_run.py [--guideline 2020.06] [--concurrency 4]
     [--port-offset 4100] [--dir D]
Starts a 3-node lab (in a temporary directory unless --dir), then runs the target's tests twice
on it: once with Tempest's own runner, serially, on a tempest.conf that defcore's runner builds
(with the image, flavors and networks it finds or creates, as `defcore test` does), and once with
`defcore test`. Prints both wall times, the load average beside each, their ratio (issue 11's
goal for Storage: 0.45 or less) and whether every test had the same outcome in both runs.
`benchmarks/platform_run.py` does the same on a Platform lab.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from defcore import lab
from defcore.guidelines.addons import load_target
from defcore.results.subunit import parse_subunit
from defcore.runner import resources, schedule, selection, tempest_conf, workspace
from defcore.runner.cloud import load_cloud
from defcore.runner.discover import discover

ROOT = Path(__file__).resolve().parents[1]
Outcomes = dict[str, str]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


@contextmanager
def bench_lab(directory: str | None, config: dict[str, object]) -> Iterator[Path]:
    """A fresh lab and data/cache directories for the length of the benchmark; with --dir they
    are kept there afterwards (the runs' subunit streams, for timings), the lab stopped."""
    with tempfile.TemporaryDirectory(prefix="defcore-bench-") as tmp:
        base = Path(tempfile.mkdtemp(prefix="bench-", dir=directory)) if directory else Path(tmp)
        os.environ["DEFCORE_DATA_DIR"] = str(base / "data")
        os.environ["DEFCORE_CACHE_DIR"] = str(base / "cache")  # no recorded timings
        lab_config = lab.LabConfig(directory=base / "lab", **config)  # type: ignore[arg-type]
        began = time.perf_counter()
        state = lab.up(lab_config)
        print(f"lab up in {time.perf_counter() - began:.1f} s ({load_average()})", flush=True)
        os.environ["OS_CLIENT_CONFIG_FILE"] = state.clouds_file
        try:
            yield base
        finally:
            lab.down(base / "lab")


def tempest_serial(base: Path, guideline_id: str, target_name: str) -> tuple[float, Outcomes]:
    """`tempest run --serial` on the target's runnable tests, with the tempest.conf defcore's
    runner would write (its resources found or created first, deleted after)."""
    guideline, target = load_target(guideline_id, target_name)
    space = workspace.prepare(base / "tempest-serial")
    installed = selection.installed_tests()
    chosen = selection.resolve(guideline, target, installed)
    # The very tests `defcore test` runs: a gabbi file's whole (schedule.selector).
    wanted = {schedule.selector(s.installed_id) for s in chosen.runnable if s.installed_id}
    listed = [t for t in installed if any(re.search(rx, t) for rx in wanted)]
    load_list = space / "load-list.txt"
    load_list.write_text("\n".join(listed))
    cloud = load_cloud(lab.LAB_CLOUD)
    found = discover(cloud)
    conn, made = None, resources.ComputeResources()
    if {"compute", "image", "network"} & set(found.services):
        conn = resources.connect(cloud, 30.0)
        given = frozenset(cloud.tempest_options)
        made = resources.prepare(conn, found.services, found.is_admin, space, None, given)
    try:
        layers = [cloud.tempest_options]
        conf = tempest_conf.build(cloud, found, space, None, {}, made, layers)
        (space / "etc").mkdir(exist_ok=True)
        (space / "etc" / "tempest.conf").write_text(tempest_conf.render(conf))
        env = {**os.environ, **workspace.environment(space / "etc", space)}
        tempest = str(Path(sys.executable).with_name("tempest"))
        print(f"tempest run --serial: {len(chosen.runnable)} tests ({load_average()})", flush=True)
        began = time.perf_counter()
        with open(space / "serial.subunit", "wb") as out:
            subprocess.run(
                [tempest, "run", "--serial", "--load-list", str(load_list), "--subunit"],
                cwd=space,
                env=env,
                stdout=out,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        elapsed = time.perf_counter() - began
    finally:
        if conn is not None:
            resources.cleanup(conn, space)
    run = parse_subunit((space / "serial.subunit").read_bytes(), "tempest run --serial")
    return elapsed, {r.name: str(r.outcome) for r in run.results.values()}


def defcore_run(
    base: Path, guideline_id: str, target_name: str, concurrency: int | None
) -> tuple[float, Outcomes]:
    run_dir = base / "defcore-run"
    argv = [sys.executable, "-m", "defcore", "test", "--cloud", lab.LAB_CLOUD]
    argv += ["--guideline", guideline_id, "--target", target_name, "--run-dir", str(run_dir)]
    if concurrency is not None:
        argv += ["--concurrency", str(concurrency)]
    print(f"defcore test ({load_average()})", flush=True)
    began = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - began
    run = parse_subunit((run_dir / "results.subunit").read_bytes(), "defcore test")
    return elapsed, {r.name: str(r.outcome) for r in run.results.values()}


def compare(
    serial: tuple[float, Outcomes],
    ours: tuple[float, Outcomes],
    loads: tuple[str, str],
    concurrency: int | None,
    goal: float,
) -> None:
    (serial_s, serial_out), (ours_s, ours_out) = serial, ours
    differ = sorted(
        n for n in serial_out.keys() | ours_out.keys() if serial_out.get(n) != ours_out.get(n)
    )
    workers = "default" if concurrency is None else str(concurrency)
    print(f"tempest run --serial    : {serial_s:7.1f} s  {len(serial_out)} tests  ({loads[0]})")
    print(f"defcore test -c {workers:<7} : {ours_s:7.1f} s  {len(ours_out)} tests  ({loads[1]})")
    print(f"ratio defcore/serial    : {ours_s / serial_s:7.2f}  (goal: {goal:.2f} or less)")
    print(f"outcomes identical      : {'yes' if not differ else 'NO'}")
    for name in differ:
        print(f"  {name}: serial {serial_out.get(name)}, defcore {ours_out.get(name)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--target", default="OpenStack Powered Storage")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port-offset", type=int, default=4100)
    parser.add_argument("--dir", help="Where the temporary lab and runs go.")
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    with bench_lab(args.dir, {"nodes": 3, "port_offset": args.port_offset}) as base:
        serial = tempest_serial(base, args.guideline, args.target)
        serial_load = load_average()
        ours = defcore_run(base, args.guideline, args.target, args.concurrency)
        ours_load = load_average()
    compare(serial, ours, (serial_load, ours_load), args.concurrency, 0.45)


if __name__ == "__main__":
    main()
