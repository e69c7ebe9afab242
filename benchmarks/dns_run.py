"""The DNS add-on on one lab: Designate's services up, then `tempest run --serial` against
`defcore test --target dns`, with the same designate-tempest-plugin.

Run: .venv/bin/python benchmarks/dns_run.py [--guideline 2020.06] [--concurrency N]
     [--port-offset 4400] [--dir D]
(a venv with defcore[lab,platform,lab-addons,runner,addons], and Debian's bind9 from
scripts/setup.d/dns.sh). Starts the smallest lab that serves DNS: the Platform lab's MariaDB and
RabbitMQ with Keystone and Swift, `--with designate`, and none of the compute services (the DNS
tests are API tests). Prints when Designate's and BIND 9's preparation began, their processes
started and were healthy; then runs the add-on's tests once with Tempest's own runner, serially,
on the tempest.conf defcore's runner builds (discovery, the plugin's sections, clouds.yaml's
options), and once with `defcore test` (its default concurrency unless --concurrency). Prints
both times with the load average, their ratio and every test whose outcome differs.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage_run import ROOT, compare, defcore_run, load_average, tempest_serial

from defcore import lab

COMPUTE = frozenset({"glance", "placement", "nova", "neutron", "cinder"})
DNS_SERVICES = ("bind9", "designate")


@contextmanager
def dns_lab(directory: str | None, port_offset: int) -> Iterator[Path]:
    """A fresh DNS lab, timed per service, for the length of the benchmark; stopped after."""
    with tempfile.TemporaryDirectory(prefix="defcore-dns-bench-") as tmp:
        base = Path(tempfile.mkdtemp(prefix="bench-", dir=directory)) if directory else Path(tmp)
        os.environ["DEFCORE_DATA_DIR"] = str(base / "data")
        os.environ["DEFCORE_CACHE_DIR"] = str(base / "cache")  # no recorded timings
        config = lab.LabConfig(
            directory=base / "lab",
            nodes=1,
            port_offset=port_offset,
            platform=True,
            without=COMPUTE,
            addons=frozenset({"designate"}),
        )
        marks: dict[str, dict[str, float]] = {}
        began = time.perf_counter()

        def progress(step: str) -> None:
            service, _, what = step.partition(": ")
            if what:  # "<service>: preparing ...", "<service>: starting", "<service>: ready"
                phase = what if what in ("starting", "ready") else "preparing"
                marks.setdefault(service, {}).setdefault(phase, time.perf_counter() - began)

        state = lab.up(config, progress=progress)
        total = time.perf_counter() - began
        print(f"lab up in {total:.1f} s ({load_average()})", flush=True)
        for name in DNS_SERVICES:
            phases = marks.get(name, {})
            prepare, start = phases.get("preparing", 0.0), phases.get("starting", 0.0)
            ready = phases.get("ready", 0.0)
            print(
                f"  {name:<10} prepare @{prepare:5.1f} s, start @{start:5.1f} s, healthy "
                f"@{ready:5.1f} s: {ready - prepare:5.1f} s from preparing to healthy, "
                f"{ready - start:5.1f} s from start",
                flush=True,
            )
        os.environ["OS_CLIENT_CONFIG_FILE"] = state.clouds_file
        try:
            yield base
        finally:
            lab.down(base / "lab")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guideline", default="2020.06")
    parser.add_argument("--target", default="dns")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--port-offset", type=int, default=4400)
    parser.add_argument("--dir", help="Where the temporary lab and runs go.")
    args = parser.parse_args()
    os.environ.setdefault("DEFCORE_GUIDELINES", str(ROOT.parent / "shared/data/interop"))
    with dns_lab(args.dir, args.port_offset) as base:
        serial = tempest_serial(base, args.guideline, args.target)
        serial_load = load_average()
        ours = defcore_run(base, args.guideline, args.target, args.concurrency)
        ours_load = load_average()
    compare(serial, ours, (serial_load, ours_load), args.concurrency, 1.0)


if __name__ == "__main__":
    main()
