"""Helpers of the runner tests: running the real `defcore` command against a lab."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from defcore.lab.lab import LabState

REPO = Path(__file__).resolve().parents[2]
STORAGE = "OpenStack Powered Storage"
PLATFORM = "OpenStack Powered Platform"
COMPUTE = "OpenStack Powered Compute"


@dataclass(frozen=True)
class Finished:
    run_dir: Path
    returncode: int
    stdout: str
    stderr: str


def interop_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value else REPO.parent / "shared" / "data" / "interop"


def defcore_env(state: LabState | None, home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DEFCORE_GUIDELINES": str(interop_dir()),
        "DEFCORE_DATA_DIR": str(home / "data"),
        "DEFCORE_CACHE_DIR": str(home / "cache"),
        "COLUMNS": "160",
    }
    if state is not None:
        env["OS_CLIENT_CONFIG_FILE"] = state.clouds_file
    return env


def defcore(
    *args: str, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "defcore", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def run_storage(
    state: LabState, run_dir: Path, *extra: str, cloud: str = "defcore-lab"
) -> Finished:
    return run_target(state, run_dir, STORAGE, *extra, cloud=cloud)


def run_target(
    state: LabState,
    run_dir: Path,
    target: str,
    *extra: str,
    cloud: str = "defcore-lab",
    timeout: float = 600,
) -> Finished:
    """`defcore test` of one 2020.06 target against a lab, as a user runs it."""
    out = defcore(
        "test",
        "--cloud",
        cloud,
        "--guideline",
        "2020.06",
        "--target",
        target,
        "--run-dir",
        str(run_dir),
        *extra,
        env=defcore_env(state, run_dir.parent),
        timeout=timeout,
    )
    return Finished(run_dir, out.returncode, out.stdout, out.stderr)


def default_sigint() -> None:
    """For a child that a test interrupts with SIGINT: a shell starts background jobs with SIGINT
    ignored, and children inherit that, so pytest run with `&` would see the signal do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
