"""Seconds from asking for a guest to running a command in it over SSH, and to stopping it.

Run (as root): .venv/bin/python benchmarks/guest_start.py [--repeat 5] [--parallel 3]
Each round defines and starts a guest (defcore/lab/guest.py) in a temporary directory, logs in
with paramiko (Tempest's SSH library) with an RSA key as Nova makes them, runs `hostname`, and
stops it. `--parallel N` also starts N guests at once, as `min_count=3` servers do.
For scale: Nova reported a fake-hypervisor server ACTIVE in 5-12 s on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko

from defcore.lab.guest import Guest, GuestInterface, GuestSpec

SUBNET = "10.252.77"


def spec(index: int, key: paramiko.RSAKey) -> GuestSpec:
    return GuestSpec(
        name=f"bench-{index}",
        hostname=f"bench-{index}",
        vcpus=2,
        authorized_keys=f"{key.get_name()} {key.get_base64()} bench",
        interfaces=(
            GuestInterface(f"fa:16:3e:77:00:{index:02x}", f"{SUBNET}.{index}", 24, f"{SUBNET}.1"),
        ),
    )


def login_and_run(address: str, key: paramiko.RSAKey) -> str:
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    ssh.connect(
        address, username="root", pkey=key, timeout=10, allow_agent=False, look_for_keys=False
    )
    try:
        _, out, _ = ssh.exec_command("hostname")
        return str(out.read().decode().strip())
    finally:
        ssh.close()


def one_round(index: int, key: paramiko.RSAKey, root: Path) -> tuple[float, float, float]:
    began = time.perf_counter()
    guest = Guest.create(root / f"guest-{index}", spec(index, key))
    started = time.perf_counter() - began
    assert login_and_run(f"{SUBNET}.{index}", key) == f"bench-{index}"
    sshable = time.perf_counter() - began
    began = time.perf_counter()
    guest.destroy()
    return started, sshable, time.perf_counter() - began


def describe(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.2f} s, min {min(values):.2f} s, "
        f"max {max(values):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=3)
    args = parser.parse_args()
    key = paramiko.RSAKey.generate(2048)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="defcore-guest-bench-") as directory:
        for index in range(2, 2 + args.repeat):
            rounds.append(one_round(index, key, Path(directory)))
        print(f"one guest at a time, {args.repeat} rounds:")
        print("  " + describe("start() returned", [r[0] for r in rounds]))
        print("  " + describe("first command over SSH", [r[1] for r in rounds]))
        print("  " + describe("stop and delete", [r[2] for r in rounds]))
        if args.parallel > 1:
            began = time.perf_counter()
            first = 2 + args.repeat
            indexes = range(first, first + args.parallel)
            with ThreadPoolExecutor(args.parallel) as pool:
                done = list(pool.map(lambda i: one_round(i, key, Path(directory)), indexes))
            print(
                f"{args.parallel} guests at once: all answered SSH in "
                f"{max(r[1] for r in done):.2f} s, whole round {time.perf_counter() - began:.2f} s"
            )


if __name__ == "__main__":
    main()
