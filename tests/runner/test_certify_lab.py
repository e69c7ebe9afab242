"""The README's main command: start the lab, certify it against the newest guideline, stop it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_support import defcore, defcore_env
from shared_lab import next_port_offset, processes_mentioning

pytestmark = [pytest.mark.lab, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def test_certify_lab_passes_storage_and_leaves_nothing_running(tmp_path: Path) -> None:
    env = defcore_env(None, tmp_path)
    env.pop("OS_CLIENT_CONFIG_FILE", None)
    run_dir = tmp_path / "run"
    out = defcore(
        "certify-lab",
        "--storage",
        "--port-offset",
        str(next_port_offset()),
        "--run-dir",
        str(run_dir),
        env=env,
    )
    assert out.returncode == 0, out.stderr + out.stdout[-3000:]
    assert "lab up in" in out.stdout
    newest = json.loads((run_dir / "result.json").read_text())["defcore"]["guideline"]
    assert f"OpenStack Powered Storage {newest}: PASSED (58/58 tests)" in out.stdout
    assert f"report: {run_dir / 'report.html'}" in out.stdout
    lab_dir = tmp_path / "data" / "lab"
    assert not (lab_dir / "lab.json").exists()
    assert processes_mentioning(lab_dir) == []


def test_scripts_certify_is_certify_lab() -> None:
    script = (REPO / "scripts" / "certify").read_text()
    assert script.rstrip().endswith('exec defcore certify-lab "$@"')


def test_the_main_job_certifies_the_platform_lab_by_default() -> None:
    # The run itself is test_certify_platform's (on the shared Platform lab, as `lab up
    # --platform` then `defcore test` would): here, that certify-lab asks for that lab and target.
    from defcore.cli.test import certify_lab

    ctx = certify_lab.make_context("certify-lab", [], resilient_parsing=True)
    assert ctx.params["platform"] is True and ctx.params["target"] is None
    help_text = certify_lab.get_help(ctx)
    assert "OpenStack Powered Platform" in help_text and "--storage" in help_text
