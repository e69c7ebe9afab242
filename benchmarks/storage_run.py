"""The Storage list on the same lab: `tempest run --serial` against `defcore test`, side by side.

Run: .venv/bin/python benchmarks/storage_run.py [--guideline 2020.06] [--concurrency 4]
Starts a 3-node lab (ports offset by 4100, in a temporary directory), then runs the target's
tests twice on it: once with Tempest's own runner, serially, on a tempest.conf that defcore
wrote, and once with `defcore test`. Prints both wall times, their ratio (issue 4's goal: 0.4
or less) and whether every test had the same outcome in both runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from defcore import lab
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.results.subunit import parse_subunit
from defcore.runner import selection, tempest_conf, workspace
from defcore.runner.cloud import load_cloud
from defcore.runner.discover import discover

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--target", default="OpenStack Powered Storage")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    with tempfile.TemporaryDirectory(prefix="defcore-bench-") as tmp:
        base = Path(tmp)
        os.environ["DEFCORE_DATA_DIR"] = str(base / "data")
        os.environ["DEFCORE_CACHE_DIR"] = str(base / "cache")  # no recorded timings
        state = lab.up(lab.LabConfig(directory=base / "lab", nodes=3, port_offset=4100))
        os.environ["OS_CLIENT_CONFIG_FILE"] = state.clouds_file
        try:
            serial_s, serial = tempest_serial(base, args.guideline, args.target)
            defcore_s, ours = defcore_run(base, args.guideline, args.target, args.concurrency)
        finally:
            lab.down(base / "lab")
    differ = sorted(n for n in serial.keys() | ours.keys() if serial.get(n) != ours.get(n))
    print(f"tempest run --serial : {serial_s:6.1f} s  {len(serial)} tests")
    print(f"defcore test -c {args.concurrency:<4} : {defcore_s:6.1f} s  {len(ours)} tests")
    print(f"ratio defcore/serial : {defcore_s / serial_s:6.2f}  (goal: 0.40 or less)")
    print(f"outcomes identical   : {'yes' if not differ else 'NO: ' + ', '.join(differ)}")


def tempest_serial(base: Path, guideline_id: str, target_name: str) -> tuple[float, dict[str, str]]:
    guideline = load(guideline_id)
    target = resolve_target(guideline, target_name)
    space = workspace.prepare(base / "tempest-serial")
    chosen = selection.resolve(guideline, target, selection.installed_tests())
    load_list = space / "load-list.txt"
    load_list.write_text("\n".join(s.installed_id for s in chosen.runnable if s.installed_id))
    cloud = load_cloud(lab.LAB_CLOUD)
    conf = tempest_conf.build(cloud, discover(cloud), space, None)
    (space / "etc").mkdir(exist_ok=True)
    (space / "etc" / "tempest.conf").write_text(tempest_conf.render(conf))
    env = {**os.environ, **workspace.environment(space / "etc", space)}
    tempest = str(Path(sys.executable).with_name("tempest"))
    began = time.perf_counter()
    subprocess.run(
        [tempest, "run", "--serial", "--load-list", str(load_list), "--subunit"],
        cwd=space,
        env=env,
        stdout=open(space / "serial.subunit", "wb"),  # noqa: SIM115
        stderr=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - began
    run = parse_subunit((space / "serial.subunit").read_bytes(), "tempest run --serial")
    return elapsed, {r.name: str(r.outcome) for r in run.results.values()}


def defcore_run(
    base: Path, guideline_id: str, target_name: str, concurrency: int
) -> tuple[float, dict[str, str]]:
    run_dir = base / "defcore-run"
    argv = [sys.executable, "-m", "defcore", "test", "--cloud", lab.LAB_CLOUD]
    argv += ["--guideline", guideline_id, "--target", target_name]
    argv += ["--concurrency", str(concurrency), "--run-dir", str(run_dir)]
    began = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - began
    run = parse_subunit((run_dir / "results.subunit").read_bytes(), "defcore test")
    return elapsed, {r.name: str(r.outcome) for r in run.results.values()}


if __name__ == "__main__":
    main()
