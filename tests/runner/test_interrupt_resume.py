"""Ctrl-C keeps what has run; --rerun-failed resumes without running what passed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_support import STORAGE, default_sigint, defcore, defcore_env

from defcore.errors import ResultsError
from defcore.lab.lab import LabState
from defcore.results.subunit import read_subunit

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def _passed_so_far(stream: Path) -> int:
    try:
        return sum(1 for r in read_subunit(stream).results.values() if r.passed)
    except ResultsError:  # not there yet, or ends inside a packet being written
        return 0


def test_interrupt_then_resume(lab_cloud: LabState, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    env = defcore_env(lab_cloud, tmp_path)
    argv = [sys.executable, "-m", "defcore", "test", "--cloud", "defcore-lab"]
    argv += ["--guideline", "2020.06", "--target", STORAGE, "--run-dir", str(run_dir)]
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,  # Ctrl-C's signal must reach it, however pytest was started
    )
    stream = run_dir / "results.subunit"
    deadline = time.monotonic() + 120
    # Wait until some tests have passed, but far from all (a byte count of the stream was
    # machine-dependent: on a fast one the run had ended before the signal).
    while time.monotonic() < deadline and _passed_so_far(stream) < 8:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert b"interrupted: resume with defcore test --rerun-failed" in stdout

    kept = read_subunit(stream)  # cut back to whole packets: it reads cleanly
    doc = json.loads((run_dir / "result.json").read_text())
    assert doc["defcore"]["interrupted"] is True
    ran = doc["verdict"]["required_tests_passed"]
    assert 0 < ran < 58
    assert sum(1 for r in kept.results.values() if r.passed) == ran
    assert doc["verdict"]["passed"] is False

    resumed = defcore("test", "--rerun-failed", str(run_dir), env=env)
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout[-2000:]
    assert f"running {58 - ran} tests" in resumed.stdout
    doc = json.loads((run_dir / "result.json").read_text())
    assert doc["verdict"]["required_tests_passed"] == 58
    assert doc["defcore"]["interrupted"] is False
